package mqtt

import (
	"fmt"

	"github.com/fleetkit/fleetkit/transport"
)

// FullPolicy says what an outbox does when a new message would exceed its bounds.
type FullPolicy int

const (
	// Reject refuses the new message: Publish returns an error matching transport.ErrOutboxFull and
	// nothing stored is lost. The default: the caller decides (retry later, drop, degrade).
	Reject FullPolicy = iota
	// DropOldest removes the oldest stored messages to make room, counting them in
	// OutboxReport.Dropped and OutboxStats: fresh data beats stale data (telemetry).
	DropOldest
)

// SyncPolicy says when the outbox forces its writes to stable storage.
type SyncPolicy int

const (
	// SyncNever leaves writes in the operating system's page cache: they survive a crash of the
	// process (kill -9), not a power loss. The default, and nearly free.
	SyncNever SyncPolicy = iota
	// SyncAlways fsyncs every append: survives power loss, at the cost of one fsync per publish.
	SyncAlways
)

// OutboxOptions configure OpenOutbox. The zero value works.
type OutboxOptions struct {
	// MaxBytes bounds the stored payload bytes (default 64 MiB; negative: unbounded).
	MaxBytes int64
	// MaxMessages bounds the stored messages (default 0: no count bound).
	MaxMessages int
	// Full is the policy when a bound is reached (default Reject).
	Full FullPolicy
	// Sync is the durability policy (default SyncNever).
	Sync SyncPolicy
	// Window is the number of stored messages in flight to the broker (default 100; the broker's
	// receive maximum also applies).
	Window int
	// OnRefused is told about each message the broker refused (PUBACK reason code >= 0x80); such a
	// message is removed rather than retried forever. Called from the outbox's goroutine.
	OnRefused func(m *transport.Message, err error)
}

// OutboxReport says what OpenOutbox found on disk and what the outbox had to drop.
type OutboxReport struct {
	Quarantined  []QuarantinedFile // damaged files moved to <dir>/quarantine
	Recovered    int               // intact records rescued from quarantined segments
	CorruptBytes int               // bytes skipped inside damaged segments
	TornBytes    int               // bytes of a record cut short by a crash, removed
	BadAcks      int               // unreadable acknowledgements (their records are re-sent)
	Dropped      int               // messages removed by DropOldest since opening
}

// QuarantinedFile is one file moved aside as damaged.
type QuarantinedFile struct {
	Path   string
	Reason string
}

var errOutboxFull = transport.ErrOutboxFull

// OpenOutbox opens (creating if needed) the durable outbox stored in dir. Messages stored by an
// earlier process and not acknowledged are delivered by the client it is given to. Damage found on
// disk is quarantined and described by Report; it does not stop the outbox from opening.
func OpenOutbox(dir string, opts OutboxOptions) (*Outbox, error) {
	if opts.MaxBytes == 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.MaxMessages < 0 || opts.Window < 0 {
		return nil, fmt.Errorf("mqtt: OutboxOptions: negative MaxMessages or Window")
	}
	log, err := openOutboxLog(dir, opts)
	if err != nil {
		return nil, err
	}
	o := newOutbox(log, opts.Window, opts.OnRefused)
	o.log = log
	return o, nil
}

// Report returns what opening found on disk and the drops since.
func (o *Outbox) Report() OutboxReport {
	if o.log == nil {
		return OutboxReport{}
	}
	o.log.mu.Lock()
	defer o.log.mu.Unlock()
	r := o.log.report
	r.Quarantined = append([]QuarantinedFile(nil), r.Quarantined...)
	return r
}
