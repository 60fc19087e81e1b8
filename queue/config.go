package queue

import "time"

// SyncPolicy says when the queue calls fsync. Every Append is one write(2)
// into the operating system's page cache, so under every policy an appended
// record survives a crash or kill -9 of the process; the policies differ in
// what survives a power loss or kernel crash.
type SyncPolicy int

const (
	// SyncNever (the default) never calls fsync while running. Records
	// survive the process being killed; after a power loss or kernel crash
	// the most recent records (whatever the kernel had not yet written back,
	// typically up to 30 s) may be missing — the torn tail is truncated on
	// Open and counted.
	SyncNever SyncPolicy = iota
	// SyncBatch fsyncs the active segment and the acknowledgement log at most
	// every Config.SyncInterval and after every Config.SyncRecords appends
	// (group commit). Append does not wait for the fsync, so a power loss
	// loses at most the records appended in the last interval. Call Sync for
	// a barrier.
	SyncBatch
	// SyncAlways fsyncs after every Append and every Ack before returning:
	// a record whose Append returned nil survives power loss (on storage
	// that honours fsync). It is the slowest policy.
	SyncAlways
)

// String returns the policy's name.
func (p SyncPolicy) String() string {
	switch p {
	case SyncNever:
		return "SyncNever"
	case SyncBatch:
		return "SyncBatch"
	case SyncAlways:
		return "SyncAlways"
	}
	return "SyncPolicy(?)"
}

// FullPolicy says what Append does when the queue is at Config.MaxBytes or
// Config.MaxRecords.
type FullPolicy int

const (
	// Reject (the default) makes Append return ErrFull; nothing in the queue
	// is lost.
	Reject FullPolicy = iota
	// DropOldest evicts the oldest retained records until the new one fits.
	// Evicted records that were not acknowledged are counted in
	// Stats.Dropped and passed to Config.OnDrop.
	DropOldest
)

// String returns the policy's name.
func (p FullPolicy) String() string {
	switch p {
	case Reject:
		return "Reject"
	case DropOldest:
		return "DropOldest"
	}
	return "FullPolicy(?)"
}

// Defaults applied by Open to zero fields of Config.
const (
	DefaultSegmentSize   = 16 << 20
	DefaultMaxRecordSize = 1 << 20
	DefaultSyncInterval  = 10 * time.Millisecond
	DefaultSyncRecords   = 1000

	// MinSegmentSize and MaxSegmentSize bound Config.SegmentSize.
	MinSegmentSize = 4 << 10
	MaxSegmentSize = 1 << 30

	// FrameOverhead is the number of bytes each record takes on disk beyond
	// its payload (length, sequence number and two CRC32C checksums). It
	// counts toward Config.MaxBytes.
	FrameOverhead = frameHeaderSize
)

// Config configures a Queue. The zero value is a valid configuration: 16 MiB
// segments, 1 MiB records, unbounded, SyncNever.
type Config struct {
	// SegmentSize is the size at which the active segment file is sealed and
	// a new one started. Default DefaultSegmentSize (16 MiB); must lie in
	// [MinSegmentSize, MaxSegmentSize].
	SegmentSize int64
	// MaxRecordSize is the largest payload Append accepts (ErrTooLarge
	// above). Default DefaultMaxRecordSize (1 MiB); must leave room for the
	// frame in one segment.
	MaxRecordSize int
	// MaxBytes bounds the bytes retained on disk for records after the
	// durable head (payload plus FrameOverhead each, acknowledged-out-of-order
	// records included until the head passes them). 0 means unbounded.
	MaxBytes int64
	// MaxRecords bounds the number of records retained after the durable
	// head. 0 means unbounded.
	MaxRecords int64
	// Full is the policy when a bound would be exceeded. Default Reject.
	Full FullPolicy
	// OnDrop, if not nil, is called for every unacknowledged record evicted
	// by DropOldest, with its sequence number and payload length. It runs
	// inside Append with the queue locked and must not call the Queue.
	OnDrop func(seq uint64, size int)
	// OnCorrupt, if not nil, is called for every damaged region found on
	// Open or while reading. It runs with the queue locked and must not call
	// the Queue.
	OnCorrupt func(CorruptionReport)
	// Sync is the fsync policy. Default SyncNever.
	Sync SyncPolicy
	// SyncInterval is SyncBatch's longest time between fsyncs. Default
	// DefaultSyncInterval (10 ms). Ignored by other policies.
	SyncInterval time.Duration
	// SyncRecords is SyncBatch's largest number of appends between fsyncs.
	// Default DefaultSyncRecords (1000). Ignored by other policies.
	SyncRecords int
}

// withDefaults returns c with defaults applied, or the rule it breaks.
func (c Config) withDefaults() (Config, error) {
	if c.SegmentSize == 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	if c.MaxRecordSize == 0 {
		c.MaxRecordSize = min(DefaultMaxRecordSize, int(c.SegmentSize)-segmentHeaderSize-frameHeaderSize)
	}
	if c.Sync == SyncBatch {
		if c.SyncInterval == 0 {
			c.SyncInterval = DefaultSyncInterval
		}
		if c.SyncRecords == 0 {
			c.SyncRecords = DefaultSyncRecords
		}
	}
	switch {
	case c.SegmentSize < MinSegmentSize || c.SegmentSize > MaxSegmentSize:
		return c, &ConfigError{"SegmentSize", "must be between 4 KiB and 1 GiB"}
	case c.MaxRecordSize < 0:
		return c, &ConfigError{"MaxRecordSize", "must not be negative"}
	case int64(c.MaxRecordSize)+segmentHeaderSize+frameHeaderSize > c.SegmentSize:
		return c, &ConfigError{"MaxRecordSize", "a record of this size plus its frame must fit in one segment (SegmentSize)"}
	case c.MaxBytes < 0:
		return c, &ConfigError{"MaxBytes", "must not be negative"}
	case c.MaxBytes > 0 && c.MaxBytes < int64(c.MaxRecordSize)+frameHeaderSize:
		return c, &ConfigError{"MaxBytes", "must hold at least one record of MaxRecordSize plus FrameOverhead"}
	case c.MaxRecords < 0:
		return c, &ConfigError{"MaxRecords", "must not be negative"}
	case c.Full != Reject && c.Full != DropOldest:
		return c, &ConfigError{"Full", "must be Reject or DropOldest"}
	case c.Sync < SyncNever || c.Sync > SyncAlways:
		return c, &ConfigError{"Sync", "must be SyncNever, SyncBatch or SyncAlways"}
	case c.SyncInterval < 0:
		return c, &ConfigError{"SyncInterval", "must not be negative"}
	case c.SyncRecords < 0:
		return c, &ConfigError{"SyncRecords", "must not be negative"}
	}
	return c, nil
}
