// Package slo measures service level indicators of a device fleet, keeps error budgets and
// raises multiwindow, multi-burn-rate alerts, following the Google SRE Workbook, chapter 5,
// "Alerting on SLOs" (https://sre.google/workbook/alerting-on-slos/).
//
// The package uses only the standard library, starts no goroutines and reads no clock: every call
// that depends on time takes now, so it runs the same on a device built with TinyGo, in a cloud
// service and in a simulation in virtual time. No type is safe for concurrent use; a caller that
// shares one guards it with a mutex.
//
// # Pieces
//
//   - [Counter]: a streaming, bounded-memory sliding-window counter of good and total events,
//     queried over any trailing window ([Counter.Count]).
//   - SLIs, each reducing to good/total events and each a [Source]:
//     [Connectivity] (connected device-time over registered device-time),
//     [Freshness] (telemetry record age at ingestion, with age percentiles),
//     [Latency] (delivery latency, with percentiles),
//     [Outcomes] (command success rate, OTA success rate) and
//     [Duplicates] (duplicate rate). A plain [Counter] is the SLI for anything else.
//   - [Sketch]: a DDSketch-style quantile sketch with a relative-error guarantee.
//   - [Objective] (an SLO): a target and period over a Source: error budget, budget remaining,
//     burn rate per window, time to exhaustion, alert evaluation ([Objective.Evaluate]) and a
//     text [Report].
//   - The Workbook's arithmetic as pure functions: [BurnRate], [ThresholdBurnRate],
//     [BudgetConsumed], [TimeToExhaustion], [DetectionTime].
//
// # Counting windows
//
// A [Counter] keeps two rings of buckets of (good, total) counts. With the default
// [WindowConfig], one-minute buckets cover the last 6 hours (plus one hour of slack) and one-hour
// buckets cover 30 days: 1,141 buckets of 16 bytes, about 18 KB, whatever the event rate — where
// one-minute buckets over 30 days would take 43,200 buckets (691 KB). Every event is added to one
// fine and one coarse bucket (about 16 ns, no allocation). Events may arrive late: they land in
// the bucket of their own time while it is retained; events older than the span are refused with
// [ErrTooOld] and counted ([Counter.Rejected]), never dropped silently.
//
// # Accuracy
//
// A window of W is ceil(W/Resolution) fine buckets ending with the bucket that holds now, so it
// covers between W-Resolution and W of real time (the newest bucket is partly elapsed): with
// one-minute buckets a 5m window covers 4 to 5 minutes. Within that span the counts are exact.
// A window longer than FineSpan takes its recent part from fine buckets (starting at a coarse
// bucket boundary) and its older part from coarse buckets, each included when its midpoint lies
// in the window; its old edge is therefore rounded to within CoarseResolution/2 (±30 minutes on
// a 3d window, ±0.7%). For a steady error ratio this changes nothing; for an error ratio that
// rises at the window's old edge it shifts detection by at most that rounding (for the Workbook's
// 3d ticket row at a 2x burn, ±15 minutes on a 36-hour detection time). Choose a finer
// CoarseResolution when that matters: memory grows as Span/CoarseResolution.
//
// # SLIs: decisions
//
//   - Connectivity is time-weighted, not a count of samples: each sample of (connected,
//     registered) holds until the next one and is credited as device-milliseconds, split at
//     bucket boundaries. Memory does not grow with the fleet (the fleet registry already knows the
//     counts), and a fleet sampled irregularly is still weighted by time. An interval longer than
//     MaxGap (default 5 minutes) means the sampler was down: it is credited neither way and
//     reported as [ErrGap].
//   - Freshness is ingest time minus the record's own timestamp, good when <= Threshold. A record
//     stamped in the future counts as age 0 and is counted by [Freshness.Skewed].
//   - Outcomes: [Succeeded] is good, [Failed] and [TimedOut] are bad, [Rejected] (the device
//     refused invalid input) and [Cancelled] (an operator's decision) are excluded from the ratio,
//     as the Workbook leaves client errors out of availability; they are counted by
//     [Outcomes.Excluded].
//   - Latency and Freshness percentiles cover a shorter, recent window than the counts (by
//     default the last 50 to 60 minutes, six ten-minute sketches), because a sketch per bucket
//     over 30 days would cost megabytes. The sketch guarantees a relative error of
//     RelativeAccuracy (default 2%) for values between Min and Max (default 100µs to 24h); smaller
//     values read as the smallest observed, larger ones as the largest observed. One sketch costs
//     about 4 KB, an Objective over a Latency about 50 KB.
//
// # Error budget and burn rate
//
// For a target T (0.999) over a period P (30 days) the error budget is 1-T. Over a window the
// burn rate is error_ratio/(1-T): 1 spends exactly the budget over P.
// [Objective.BudgetRemaining] is 1 - bad/((1-T)·total) over P (1 with no events; negative once
// overspent). [Objective.TimeToExhaustion] is remaining·P/burn_rate at the burn rate of a window.
// A window without events burns at 0.
//
// # Alerts
//
// A [Rule] fires while the burn rate is strictly greater than its BurnRate over both its long and
// its short window; rows of one [Severity] are ORed. [DefaultPolicy] is the Workbook's Table 5-8
// (page on 14.4x over 1h and 5m or 6x over 6h and 30m; ticket on 1x over 3d and 6h);
// [WorkbookPolicy] adds the 3x over 24h and 2h ticket row of the Workbook's final rule. Rows are
// configurable ([Config.Policy]). "Strictly greater" is applied with a relative tolerance of 1e-9
// so that an error ratio equal to the threshold up to floating-point rounding never fires.
//
// [Objective.Evaluate] reads each distinct window once (about 2 µs for the default policy, no
// allocation when the [Evaluation] is reused) and reports the firing rows with the burn rates
// seen in both windows, and the transitions of each severity (Fired, Resolved) since the previous
// call, so a caller notifies once per transition. Because both windows must exceed, an alert
// resets as soon as its short window recovers, even though the long window still holds the
// incident. Detection time after an error ratio jumps to e is ((1-T)/e)·W·BurnRate for the long
// window W ([DetectionTime]): 51.84 s for the 1h row at a 100% outage.
//
// Cold start: windows hold only the history they have. Right after a start, a long window holds
// as little as its short window, so a burst can fire a row sooner than the Workbook's tables
// predict; restore counters from a snapshot ([Counter.AppendSnapshot], [Counter.Restore]) across
// restarts to keep the history. A snapshot holds a Counter (every SLI exposes its own through a
// Counter method); percentile rings and the connectivity sampler's last sample start empty. Low traffic: a window with few events has a noisy error ratio;
// the Workbook suggests synthetic traffic or a minimum failure count, which a caller can apply by
// reading [Objective.Count] before notifying.
//
// # Platforms: 32-bit and TinyGo
//
// The package is correct where int has 32 bits (GOARCH=386, arm, wasm, TinyGo's
// microcontrollers) and whatever a platform does with an out-of-range float64-to-integer
// conversion (amd64 wraps, TinyGo saturates). Times, bucket indexes and durations are int64
// throughout; an int holds only ring positions, bucket numbers of a sketch (at most 65,537) and
// the caller's device counts. Sketch keys, which exceed 32 bits for fine accuracies, stay in
// float64 and only their clamped offset becomes an int; float64 nanoseconds become a Duration
// through a saturating conversion (an observation of the longest Duration reads back as itself,
// not as a negative one). Bounds keep every sum inside int64: Span <= [MaxSpan] (about 146
// years), QuantileInterval × QuantileIntervals fits a Duration, and a connectivity interval
// whose next bucket boundary lies past the year 2262 ends at the sample. [Counter.MemoryBytes]
// and [Sketch.MemoryBytes] count the platform's own header size. The test suite runs unchanged on
// 64-bit, on GOARCH=386 and GOARCH=arm (under qemu-user where the kernel cannot run them:
// GODEBUG=asyncpreemptoff=1 go test -exec qemu-i386 for 386), under TinyGo on the host and on
// wasip1 (the Workbook vectors are embedded, since the wasip1 runner preopens no directory), and
// the package links for cortex-m-qemu.
//
// # Exporting
//
// The slo/promslo package exports objectives to Prometheus. An exporter (Prometheus or another)
// needs nothing private: [FormatWindow] spells window labels, [Objective.Windows],
// [Objective.Count], [Objective.BurnRate], [Objective.BudgetRemaining],
// [Objective.BudgetConsumed], [Objective.TimeToExhaustion], [Objective.Policy],
// [Objective.Severities], [Objective.Firing], [Latency.Quantile] and the [Evaluation] of the last
// [Objective.Evaluate].
//
// # Errors
//
// Test with errors.Is against [ErrInvalidConfig], [ErrInvalidArgument], [ErrTooOld],
// [ErrWindow], [ErrNoData], [ErrGap] and [ErrCorrupt]; errors.As gives the detail:
// [ConfigError] (field and rule), [ArgumentError], [StaleError], [WindowError], [GapError],
// [DecodeError] (byte offset and rule).
package slo
