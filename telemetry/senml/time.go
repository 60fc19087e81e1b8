package senml

import (
	"math"
	"time"
)

// FromTime returns t as SenML time: seconds since the Unix epoch, with the fraction. Use it for
// the now argument of [Pack.Resolve] and for absolute t and bt values.
func FromTime(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// ToTime returns the time.Time of an absolute SenML time (seconds since the Unix epoch), rounded
// to the microsecond: a float64 of a present-day epoch time carries about that precision. It
// returns the zero time.Time for a non-finite value or one beyond the range of int64
// nanoseconds.
func ToTime(sec float64) time.Time {
	if math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) >= math.MaxInt64/1e9 {
		return time.Time{}
	}
	s := math.Floor(sec)
	us := math.Round((sec - s) * 1e6)
	return time.Unix(int64(s), int64(us)*1000).UTC()
}
