// Package queue is a durable, bounded, segmented FIFO of records on disk: the
// durable outbox of the MQTT transport (QoS 1 publishes that must survive
// kill -9 until PUBACKed) and telemetry store-and-forward.
//
// # Format
//
// A queue is a directory of append-only segment files named by the sequence
// number of their first record ("00000000000000000001.seg"), each starting
// with the magic "fkqseg01" and holding frames:
//
//	length uint32 | seq uint64 | CRC32C(length, seq) | CRC32C(payload) | payload
//
// (little endian; CRC32C is the Castagnoli polynomial, RFC 3720 §12.1). The
// header checksum lets recovery resynchronise after a damaged region. A
// segment is sealed at Config.SegmentSize. Acknowledgements go to acks.log
// (one frame per Ack call) and are folded into ack.ckpt, written atomically
// by rename, on Open, on Close and when the log passes 4 MiB.
//
// # Guarantees
//
// Append is one write(2) into the page cache: under every SyncPolicy a
// record whose Append returned survives kill -9 of the process. SyncNever
// (default) gives no guarantee against power loss; SyncBatch bounds the loss
// to the records of the last SyncInterval/SyncRecords (the check runs on
// Append, so call Sync before going idle); SyncAlways makes each Append and
// Ack durable before it returns. Delivery is at-least-once: records not
// acknowledged before a crash are delivered again, and an acknowledgement
// written without fsync may be lost on power loss, causing redelivery.
//
// # Reading and acknowledging
//
// One consumer reads with Read (non-blocking) and Wait (blocks until there
// is something to read); Rewind restarts from the oldest unacknowledged
// record (e.g. to resend an MQTT outbox after reconnecting). Ack takes
// sequence numbers in any order; the durable head advances over the
// contiguous acknowledged prefix and whole segments at or below it are
// deleted.
//
// # Bounds
//
// MaxBytes and MaxRecords bound what is retained after the durable head
// (records acknowledged out of order count until the head passes them,
// because they are still on disk). When full, Reject makes Append return
// ErrFull; DropOldest evicts from the head, counting unacknowledged
// evictions in Stats.Dropped and reporting them to OnDrop.
//
// # Corruption
//
// On Open, a torn tail of the newest segment (a truncated frame or zeros, as
// a crash leaves) is truncated and counted in Stats.TornTails. Any other
// damage — a checksum mismatch in the middle, a bad header, garbage, a file
// with a bad name — is moved to dir/quarantine/ with a ".reason" file,
// reported to OnCorrupt and Stats.Corrupt, and every intact record before
// and after it is kept (rewritten into fresh segments). A damaged
// acknowledgement file is quarantined too; its acknowledgements are lost,
// so the records are redelivered. Damage found while reading is reported,
// the record skipped and counted as dropped.
//
// # Concurrency
//
// All methods are safe for concurrent use (one mutex); the queue starts no
// goroutines. Close is idempotent; afterwards methods return ErrClosed. On
// Unix the directory is locked with flock (ErrLocked for a second Open).
package queue
