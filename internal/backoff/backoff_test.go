package backoff

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestDelayBounds(t *testing.T) {
	p := Policy{Min: 100 * time.Millisecond, Max: 2 * time.Second, Rand: rand.New(rand.NewPCG(1, 2))}
	for attempt := 0; attempt < 40; attempt++ {
		nominal := 100 * time.Millisecond << min(attempt, 5)
		if nominal > 2*time.Second {
			nominal = 2 * time.Second
		}
		for i := 0; i < 100; i++ {
			d := p.Delay(attempt)
			if d < nominal/2 || d > nominal {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, nominal/2, nominal)
			}
		}
	}
}

func TestDelayJitterSpreads(t *testing.T) {
	p := Policy{Min: time.Second, Max: time.Second, Rand: rand.New(rand.NewPCG(3, 4))}
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		seen[p.Delay(0)] = true
	}
	if len(seen) < 45 {
		t.Fatalf("only %d distinct delays in 50 draws: no jitter", len(seen))
	}
}

func TestZeroValueDefaults(t *testing.T) {
	var p Policy
	if d := p.Delay(0); d < 125*time.Millisecond || d > 250*time.Millisecond {
		t.Fatalf("first default delay %v", d)
	}
	if d := p.Delay(1000); d < 15*time.Second || d > 30*time.Second {
		t.Fatalf("capped default delay %v", d)
	}
}

func ExamplePolicy() {
	p := Policy{Min: time.Second, Max: 8 * time.Second}
	for attempt := 0; attempt < 5; attempt++ {
		d := p.Delay(attempt)
		fmt.Println(attempt, d >= (time.Second<<min(attempt, 3))/2)
	}
	// Output:
	// 0 true
	// 1 true
	// 2 true
	// 3 true
	// 4 true
}
