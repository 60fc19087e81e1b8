// Package backoff computes jittered exponential retry delays, the one policy fleetkit's reconnect
// loops and retrying outboxes share.
//
// Delays grow as Min·Factor^attempt up to Max, and each is drawn uniformly from [d/2, d] ("equal
// jitter"): never zero, so a fleet that loses its broker does not come back in one thundering herd,
// and never below half the nominal delay, so retries stay spaced.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Policy is a jittered exponential backoff. The zero value uses the defaults given per field.
type Policy struct {
	// Min is the first delay (default 250ms).
	Min time.Duration
	// Max caps the delay (default 30s).
	Max time.Duration
	// Factor multiplies the delay per attempt (default 2).
	Factor float64
	// Rand draws the jitter; nil uses math/rand/v2's global source. Inject a seeded source for
	// reproducible tests.
	Rand *rand.Rand
}

// Delay returns the delay before retry number attempt (0 for the first retry).
func (p Policy) Delay(attempt int) time.Duration {
	minD, maxD, f := p.Min, p.Max, p.Factor
	if minD <= 0 {
		minD = 250 * time.Millisecond
	}
	if maxD <= 0 {
		maxD = 30 * time.Second
	}
	if maxD < minD {
		maxD = minD
	}
	if f < 1 {
		f = 2
	}
	d := float64(minD)
	for i := 0; i < attempt && d < float64(maxD); i++ {
		d *= f
	}
	if d > float64(maxD) {
		d = float64(maxD)
	}
	half := d / 2
	var r float64
	if p.Rand != nil {
		r = p.Rand.Float64()
	} else {
		r = rand.Float64()
	}
	return time.Duration(half + r*half)
}
