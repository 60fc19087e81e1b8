package slo

import (
	"math"
	"time"
)

// Never is the time to exhaustion of a budget that is not burning.
const Never time.Duration = math.MaxInt64

// The SRE Workbook's arithmetic (chapter 5, "Alerting on SLOs"), as pure functions. Durations
// are exact; ratios are float64.

// ErrorBudget returns the error budget of a target: 1 - target (0.001 for 99.9%).
func ErrorBudget(target float64) float64 { return 1 - target }

// BurnRate returns how fast an error ratio spends the budget of target: errorRatio / (1 - target).
// A burn rate of 1 spends exactly the whole budget over the SLO period.
func BurnRate(errorRatio, target float64) float64 { return errorRatio / (1 - target) }

// ThresholdBurnRate returns the burn rate at which budgetConsumed (a fraction, 0.02 for 2%) of the
// budget of period is spent in window: budgetConsumed × period / window (Workbook Table 5-6).
func ThresholdBurnRate(budgetConsumed float64, period, window time.Duration) float64 {
	return budgetConsumed * float64(period) / float64(window)
}

// BudgetConsumed returns the fraction of the budget of period that burnRate spends in window:
// burnRate × window / period (the budget spent by the time a burn-rate alert fires).
func BudgetConsumed(burnRate float64, window, period time.Duration) float64 {
	return burnRate * float64(window) / float64(period)
}

// TimeToExhaustion returns how long a whole budget lasts at burnRate: period / burnRate, or
// [Never] when burnRate <= 0 or the result does not fit a Duration.
func TimeToExhaustion(period time.Duration, burnRate float64) time.Duration {
	return durationOrNever(float64(period) / burnRate)
}

// DetectionTime returns how long a burn-rate alert over window with threshold burnRate takes to
// fire once the error ratio jumps from 0 to errorRatio: ((1 - target) / errorRatio) × window ×
// burnRate (Workbook, "Alert on burn rate"). With burnRate 1 it is the detection time of a plain
// error-ratio alert over window. It returns [Never] when errorRatio <= 0 or the alert cannot fire
// (errorRatio <= burnRate × (1 - target)).
func DetectionTime(target, errorRatio float64, window time.Duration, burnRate float64) time.Duration {
	if !(errorRatio > burnRate*(1-target)) {
		return Never
	}
	return durationOrNever((1 - target) / errorRatio * float64(window) * burnRate)
}

func durationOrNever(ns float64) time.Duration {
	if !(ns >= 0) || ns >= float64(math.MaxInt64) {
		return Never
	}
	return time.Duration(math.Round(ns))
}

// exceeds reports whether observed is strictly greater than threshold. A relative tolerance of
// 1e-9 absorbs floating-point rounding, so an error ratio equal to the threshold up to rounding
// (for example 144 bad of 10,000 against 14.4 × 0.001) never fires.
func exceeds(observed, threshold float64) bool {
	return observed > threshold*(1+1e-9)
}
