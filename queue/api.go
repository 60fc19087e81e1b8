package queue

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Append adds rec at the tail and returns its sequence number. It is one
// write(2) into the page cache (plus fsync per Config.Sync). If the error
// wraps ErrSync the record was appended (seq is valid) but its fsync failed.
func (q *Queue) Append(rec []byte) (uint64, error) {
	if len(rec) > q.cfg.MaxRecordSize {
		return 0, fmt.Errorf("%w: %d bytes, MaxRecordSize is %d", ErrTooLarge, len(rec), q.cfg.MaxRecordSize)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrClosed
	}
	fsz := int64(frameHeaderSize + len(rec))
	if q.cfg.MaxBytes > 0 || q.cfg.MaxRecords > 0 {
		if err := q.makeRoom(fsz); err != nil {
			return 0, err
		}
	}
	act := q.segs[len(q.segs)-1]
	if q.broken || (act.size+fsz > q.cfg.SegmentSize && act.count() > 0) {
		if q.durable() {
			q.w.Sync()
		}
		q.w.Close()
		if err := q.newSegment(); err != nil {
			return 0, err
		}
		act = q.segs[len(q.segs)-1]
	}
	seq := q.nextSeq
	q.wbuf = appendFrame(q.wbuf[:0], seq, rec)
	if _, err := q.w.Write(q.wbuf); err != nil {
		if terr := q.w.Truncate(act.size); terr != nil {
			q.broken = true
		}
		return 0, fmt.Errorf("queue: append: %w", err)
	}
	act.offs = append(act.offs, act.size)
	act.size += fsz
	q.nextSeq++
	q.st.Appended++
	q.st.Retained++
	q.st.RetainedBytes += fsz
	q.st.Pending++
	q.st.PendingBytes += fsz
	select {
	case q.notify <- struct{}{}:
	default:
	}
	q.dirty++
	switch q.cfg.Sync {
	case SyncAlways:
		return seq, q.syncLocked()
	case SyncBatch:
		if q.dirty >= q.cfg.SyncRecords || time.Since(q.lastSync) >= q.cfg.SyncInterval {
			return seq, q.syncLocked()
		}
	}
	return seq, nil
}

// makeRoom applies the full policy for a frame of fsz bytes.
func (q *Queue) makeRoom(fsz int64) error {
	over := func() bool {
		return (q.cfg.MaxBytes > 0 && q.st.RetainedBytes+fsz > q.cfg.MaxBytes) ||
			(q.cfg.MaxRecords > 0 && q.st.Retained+1 > q.cfg.MaxRecords)
	}
	if !over() {
		return nil
	}
	if q.cfg.Full == Reject {
		return fmt.Errorf("%w: %d records, %d bytes retained (MaxRecords %d, MaxBytes %d)",
			ErrFull, q.st.Retained, q.st.RetainedBytes, q.cfg.MaxRecords, q.cfg.MaxBytes)
	}
	h := q.head
	for over() && q.st.Retained > 0 {
		n := q.nextExisting(h + 1)
		s, i, ok := q.find(n)
		if !ok {
			break
		}
		sz := s.frameSize(i)
		if _, acked := q.above[n]; acked {
			delete(q.above, n)
		} else {
			q.st.Dropped++
			q.st.Pending--
			q.st.PendingBytes -= sz
			if q.cfg.OnDrop != nil {
				q.cfg.OnDrop(n, int(sz)-frameHeaderSize)
			}
		}
		q.st.Retained--
		q.st.RetainedBytes -= sz
		h = n
	}
	err := q.writeAck(ackKindDrop, []uint64{h})
	q.head = h
	q.advance()
	return err
}

// Ack acknowledges records by sequence number, in any order; one call is one
// write to the acknowledgement log. The durable head advances over the
// contiguous acknowledged prefix and fully acknowledged segments are
// deleted. Acknowledging a record twice is harmless. After a crash, records
// not acknowledged are delivered again (at-least-once).
func (q *Queue) Ack(seqs ...uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	fresh := make([]uint64, 0, len(seqs))
	for i, s := range seqs {
		if s == 0 || s >= q.nextSeq {
			return fmt.Errorf("%w: seqs[%d] = %d, newest is %d", ErrUnknownSeq, i, s, q.nextSeq-1)
		}
		if _, dup := q.above[s]; s > q.head && !dup {
			fresh = append(fresh, s)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := q.writeAck(ackKindAck, fresh); err != nil {
		return err
	}
	for _, s := range fresh {
		if _, dup := q.above[s]; dup {
			continue
		}
		q.above[s] = struct{}{}
		q.st.Acked++
		if seg, i, ok := q.find(s); ok {
			q.st.Pending--
			q.st.PendingBytes -= seg.frameSize(i)
		}
	}
	q.advance()
	if q.ackSize > ackLogCompactSize {
		return q.compact()
	}
	return nil
}

// Read returns up to max records after the read cursor (oldest first,
// skipping acknowledged ones) appended to dst, and moves the cursor past
// them. It does not block: with nothing to read it returns dst unchanged.
// A record failing its checksum is reported through Config.OnCorrupt,
// counted, treated as dropped, and skipped.
func (q *Queue) Read(dst []Record, max int) ([]Record, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return dst, ErrClosed
	}
	for n := 0; n < max && q.cursor < q.nextSeq; {
		seq := q.nextExisting(q.cursor)
		if seq >= q.nextSeq {
			q.cursor = seq
			break
		}
		q.cursor = seq + 1
		if _, acked := q.above[seq]; acked {
			continue
		}
		s, i, _ := q.find(seq)
		if s.r == nil {
			r, err := os.Open(s.path)
			if err != nil {
				q.cursor = seq
				return dst, fmt.Errorf("queue: read seq %d: %w", seq, err)
			}
			s.r = r
		}
		buf := make([]byte, s.frameSize(i))
		if _, err := s.r.ReadAt(buf, s.offs[i]); err != nil {
			q.cursor = seq
			return dst, fmt.Errorf("queue: read seq %d: %w", seq, err)
		}
		got, p, _, st := parseFrame(buf, q.cfg.MaxRecordSize)
		if st != frameOK || got != seq {
			reason := st.String()
			if st == frameOK {
				reason = "sequence number does not match the index"
			}
			q.report(CorruptionReport{File: filesBase(s.path), Offset: s.offs[i], Length: int64(len(buf)), Seq: seq, Reason: reason})
			q.st.Dropped++
			if err := q.writeAck(ackKindAck, []uint64{seq}); err == nil {
				q.above[seq] = struct{}{}
				q.st.Pending--
				q.st.PendingBytes -= int64(len(buf))
				q.advance()
			}
			continue
		}
		dst = append(dst, Record{Seq: seq, Data: p})
		n++
	}
	return dst, nil
}

// Wait blocks until a record may be available after the read cursor, ctx is
// done, or the queue is closed (ErrClosed). It is meant for the single
// consumer goroutine.
func (q *Queue) Wait(ctx context.Context) error {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		avail := q.cursor < q.nextSeq
		q.mu.Unlock()
		if avail {
			return nil
		}
		select {
		case <-q.notify:
		case <-q.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Rewind moves the read cursor back to the oldest unacknowledged record, so
// every unacknowledged record is read again (e.g. after a reconnect).
func (q *Queue) Rewind() {
	q.mu.Lock()
	q.cursor = q.head + 1
	q.mu.Unlock()
}

// Sync fsyncs the active segment and the acknowledgement log now, whatever
// the policy.
func (q *Queue) Sync() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	return q.syncLocked()
}

func (q *Queue) syncLocked() error {
	q.dirty = 0
	q.lastSync = time.Now()
	err := q.w.Sync()
	if err == nil {
		err = q.ackLog.Sync()
	}
	if err != nil {
		q.st.SyncErrors++
		return fmt.Errorf("%w: %v", ErrSync, err)
	}
	return nil
}

// Stats returns a snapshot of the counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.st
	s.Head = q.head
	s.Tail = q.nextSeq - 1
	s.Segments = len(q.segs)
	return s
}

// Close writes a checkpoint, fsyncs unless the policy is SyncNever, and
// releases the directory. It is idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	close(q.done)
	var err error
	if q.durable() {
		err = q.syncLocked()
	}
	if cerr := q.compact(); err == nil {
		err = cerr
	}
	q.closeFiles()
	return err
}

func (q *Queue) closeFiles() {
	for _, s := range q.segs {
		s.closeReader()
	}
	if q.w != nil {
		q.w.Close()
	}
	if q.ackLog != nil {
		q.ackLog.Close()
	}
	q.lock.Close()
}

func filesBase(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if os.IsPathSeparator(p[i]) {
			return p[i+1:]
		}
	}
	return p
}
