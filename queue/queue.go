package queue

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Record is one record read from the queue.
type Record struct {
	Seq  uint64 // sequence number assigned by Append (from 1, increasing)
	Data []byte // payload; owned by the caller
}

// Stats is a snapshot of the queue's counters. Counters ending in "ed" count
// since Open.
type Stats struct {
	Pending       int64  // records not yet acknowledged
	PendingBytes  int64  // their bytes on disk (payload + FrameOverhead)
	Retained      int64  // records after the durable head (counted by MaxRecords)
	RetainedBytes int64  // their bytes (counted by MaxBytes)
	Head          uint64 // durable head: every record <= Head is acknowledged or dropped
	Tail          uint64 // newest sequence number issued
	Appended      uint64
	Acked         uint64
	Dropped       uint64 // unacknowledged records evicted by DropOldest
	Corrupt       uint64 // corruption reports (Open and reads)
	TornTails     uint64 // torn tails truncated on Open
	TornBytes     int64  // bytes truncated
	Segments      int    // segment files
	SyncErrors    uint64
}

// Queue is a durable, bounded FIFO of records in a directory. It is safe for
// concurrent use; it is designed for one or more appenders and one consumer.
type Queue struct {
	dir string
	cfg Config

	mu       sync.Mutex
	closed   bool
	segs     []*segment // ordered by sequence; the last is the active one
	w        *os.File   // active segment, append-only
	broken   bool       // the active segment may hold a partial frame: roll over
	nextSeq  uint64
	head     uint64
	above    map[uint64]struct{} // acknowledged out of order, > head
	ackLog   *os.File
	ackSize  int64
	cursor   uint64
	st       Stats
	wbuf     []byte
	dirty    int
	lastSync time.Time
	notify   chan struct{}
	done     chan struct{}
	lock     *os.File
}

// Open opens (creating if needed) the queue in dir, recovering from any
// crash: a torn tail is truncated and counted, damaged regions are moved to
// dir/quarantine/ and reported through Config.OnCorrupt and Stats.Corrupt,
// and every intact record is kept.
func Open(dir string, cfg Config) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", dir, err)
	}
	lk, err := lockDir(filepath.Join(dir, "LOCK"))
	if err != nil {
		return nil, err
	}
	q := &Queue{dir: dir, cfg: cfg, above: map[uint64]struct{}{}, lock: lk,
		notify: make(chan struct{}, 1), done: make(chan struct{}), lastSync: time.Now()}
	if err := q.recover(); err != nil {
		q.closeFiles()
		return nil, err
	}
	return q, nil
}

func (q *Queue) durable() bool { return q.cfg.Sync != SyncNever }

func (q *Queue) report(r CorruptionReport) {
	q.st.Corrupt++
	if q.cfg.OnCorrupt != nil {
		q.cfg.OnCorrupt(r)
	}
}

func (q *Queue) recover() error {
	// Acknowledgement state.
	if b, err := os.ReadFile(filepath.Join(q.dir, ackCheckpointName)); err == nil {
		h, reason := readCheckpoint(b, q.above)
		if reason != "" {
			p, _ := quarantine(q.dir, ackCheckpointName, []string{reason + " (every record is redelivered)"})
			q.report(CorruptionReport{File: ackCheckpointName, Length: -1, Reason: reason, Quarantine: p})
		}
		q.head = h
	}
	if b, err := os.ReadFile(filepath.Join(q.dir, ackLogName)); err == nil {
		if d := replayAckLog(b, &q.head, q.above); d != nil {
			p, _ := quarantine(q.dir, ackLogName, []string{fmt.Sprintf("bytes %d-%d: %s", d.off, d.end, d.reason)})
			q.report(CorruptionReport{File: ackLogName, Offset: d.off, Length: d.end - d.off, Reason: d.reason, Quarantine: p})
		}
	}
	// Segments.
	names, bad, err := listSegments(q.dir)
	if err != nil {
		return fmt.Errorf("queue: open %s: %w", q.dir, err)
	}
	for _, n := range bad {
		p, _ := quarantine(q.dir, n, []string{"file name is not <20-digit sequence>.seg"})
		q.report(CorruptionReport{File: n, Length: -1, Reason: "bad segment file name", Quarantine: p})
	}
	var prev uint64
	for i, name := range names {
		path := filepath.Join(q.dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			p, _ := quarantine(q.dir, name, []string{"unreadable: " + err.Error()})
			q.report(CorruptionReport{File: name, Length: -1, Reason: "unreadable segment", Quarantine: p})
			continue
		}
		if len(data) == 0 {
			os.Remove(path) // created but never written
			continue
		}
		last := i == len(names)-1
		sr := scanSegment(data, q.cfg.MaxRecordSize, prev)
		if sr.tail != nil && sr.torn && last {
			q.st.TornTails++
			q.st.TornBytes += sr.tail.end - sr.tail.off
			if err := os.Truncate(path, sr.tail.off); err != nil {
				return fmt.Errorf("queue: truncate torn tail of %s: %w", name, err)
			}
			data = data[:sr.tail.off]
			sr.tail = nil
		}
		if sr.tail != nil {
			sr.damaged = append(sr.damaged, *sr.tail)
		}
		first, _ := parseSegmentName(name)
		contiguous := true
		for j := range sr.records {
			if sr.records[j].seq != sr.records[0].seq+uint64(j) {
				contiguous = false
				break
			}
		}
		if len(sr.damaged) == 0 && contiguous && (len(sr.records) == 0 || sr.records[0].seq == first) {
			s := &segment{first: first, size: int64(len(data)), path: path}
			for _, r := range sr.records {
				s.offs = append(s.offs, r.off)
			}
			if len(s.offs) == 0 && !last {
				os.Remove(path)
				continue
			}
			q.segs = append(q.segs, s)
		} else if err := q.repair(name, data, sr); err != nil {
			return err
		}
		if len(sr.records) > 0 {
			prev = sr.records[len(sr.records)-1].seq
		}
	}
	sort.Slice(q.segs, func(i, j int) bool { return q.segs[i].first < q.segs[j].first })
	q.nextSeq = max(prev, q.head) + 1
	// Drop empty segments that are not last, count retained records.
	for _, s := range q.segs {
		for i := range s.count() {
			sq := s.first + uint64(i)
			if sq <= q.head {
				continue
			}
			sz := s.frameSize(i)
			q.st.Retained++
			q.st.RetainedBytes += sz
			if _, ok := q.above[sq]; !ok {
				q.st.Pending++
				q.st.PendingBytes += sz
			}
		}
	}
	q.advance()
	// Active segment.
	if n := len(q.segs); n > 0 && q.segs[n-1].count() == 0 && q.segs[n-1].first != q.nextSeq {
		os.Remove(q.segs[n-1].path)
		q.segs = q.segs[:n-1]
	}
	if n := len(q.segs); n > 0 {
		w, err := os.OpenFile(q.segs[n-1].path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("queue: open segment: %w", err)
		}
		q.w = w
	} else if err := q.newSegment(); err != nil {
		return err
	}
	q.cursor = q.head + 1
	return q.compact()
}

// repair quarantines a damaged segment file and rewrites its intact records
// into new segment files, one per run of contiguous sequence numbers.
func (q *Queue) repair(name string, data []byte, sr scanResult) error {
	var reasons []string
	for _, d := range sr.damaged {
		reasons = append(reasons, fmt.Sprintf("bytes %d-%d: %s", d.off, d.end, d.reason))
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "records renumbered into contiguous segments")
	}
	type pending struct {
		tmp, final string
		s          *segment
	}
	var outs []pending
	for i := 0; i < len(sr.records); {
		j := i + 1
		for j < len(sr.records) && sr.records[j].seq == sr.records[j-1].seq+1 {
			j++
		}
		final := filepath.Join(q.dir, segmentName(sr.records[i].seq))
		s, err := writeSegment(final+".tmp", data, sr.records[i:j], q.durable())
		if err != nil {
			return fmt.Errorf("queue: repair %s: %w", name, err)
		}
		s.path = final
		outs = append(outs, pending{final + ".tmp", final, s})
		i = j
	}
	p, err := quarantine(q.dir, name, reasons)
	if err != nil {
		return fmt.Errorf("queue: quarantine %s: %w", name, err)
	}
	for _, d := range sr.damaged {
		q.report(CorruptionReport{File: name, Offset: d.off, Length: d.end - d.off, Reason: d.reason, Quarantine: p})
	}
	for _, o := range outs {
		if _, err := os.Stat(o.final); err == nil {
			os.Remove(o.tmp) // collides with another segment; the records stay in quarantine
			q.report(CorruptionReport{File: name, Length: -1, Seq: o.s.first, Reason: "intact run collides with another segment file", Quarantine: p})
			continue
		}
		if err := os.Rename(o.tmp, o.final); err != nil {
			return fmt.Errorf("queue: repair %s: %w", name, err)
		}
		q.segs = append(q.segs, o.s)
	}
	if q.durable() {
		return syncDir(q.dir)
	}
	return nil
}

// newSegment creates the active segment starting at nextSeq.
func (q *Queue) newSegment() error {
	path := filepath.Join(q.dir, segmentName(q.nextSeq))
	w, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("queue: new segment: %w", err)
	}
	if _, err := w.Write([]byte(segmentMagic)); err != nil {
		w.Close()
		os.Remove(path)
		return fmt.Errorf("queue: new segment: %w", err)
	}
	if q.durable() {
		if err := w.Sync(); err == nil {
			syncDir(q.dir)
		}
	}
	q.w = w
	q.broken = false
	q.segs = append(q.segs, &segment{first: q.nextSeq, size: segmentHeaderSize, path: path})
	return nil
}

// compact writes a checkpoint and empties the acknowledgement log.
func (q *Queue) compact() error {
	if err := writeFileAtomic(q.dir, ackCheckpointName, encodeCheckpoint(q.head, q.above), q.durable()); err != nil {
		return fmt.Errorf("queue: write checkpoint: %w", err)
	}
	if q.ackLog != nil {
		q.ackLog.Close()
	}
	f, err := os.OpenFile(filepath.Join(q.dir, ackLogName), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("queue: open acknowledgement log: %w", err)
	}
	if _, err := f.Write([]byte(ackLogMagic)); err != nil {
		f.Close()
		return fmt.Errorf("queue: write acknowledgement log: %w", err)
	}
	q.ackLog, q.ackSize = f, int64(len(ackLogMagic))
	return nil
}

// find returns the segment and index holding seq.
func (q *Queue) find(seq uint64) (*segment, int, bool) {
	i := sort.Search(len(q.segs), func(i int) bool { return q.segs[i].first > seq }) - 1
	if i < 0 || !q.segs[i].has(seq) {
		return nil, 0, false
	}
	s := q.segs[i]
	return s, int(seq - s.first), true
}

// nextExisting returns the smallest stored sequence number >= seq, or nextSeq.
func (q *Queue) nextExisting(seq uint64) uint64 {
	for _, s := range q.segs {
		if s.count() > 0 && s.last() >= seq {
			return max(seq, s.first)
		}
	}
	return q.nextSeq
}

// advance moves the head over the acknowledged prefix and deletes sealed
// segments that are entirely at or below it.
func (q *Queue) advance() {
	for q.head+1 < q.nextSeq {
		n := q.nextExisting(q.head + 1)
		if n != q.head+1 {
			q.head = n - 1
			continue
		}
		if _, ok := q.above[n]; !ok {
			break
		}
		delete(q.above, n)
		s, i, _ := q.find(n)
		q.st.Retained--
		q.st.RetainedBytes -= s.frameSize(i)
		q.head = n
	}
	for s := range q.above {
		if s <= q.head {
			delete(q.above, s)
		}
	}
	for len(q.segs) > 1 && (q.segs[0].count() == 0 || q.segs[0].last() <= q.head) {
		q.segs[0].closeReader()
		os.Remove(q.segs[0].path)
		q.segs = q.segs[1:]
	}
	q.cursor = max(q.cursor, q.head+1)
}

// writeAck appends one entry to the acknowledgement log.
func (q *Queue) writeAck(kind byte, seqs []uint64) error {
	p := make([]byte, 1, 1+8*len(seqs))
	p[0] = kind
	for _, s := range seqs {
		p = binary.LittleEndian.AppendUint64(p, s)
	}
	b := appendFrame(nil, uint64(q.ackSize), p)
	if _, err := q.ackLog.Write(b); err != nil {
		return fmt.Errorf("queue: write acknowledgement log: %w", err)
	}
	q.ackSize += int64(len(b))
	if q.cfg.Sync == SyncAlways {
		if err := q.ackLog.Sync(); err != nil {
			q.st.SyncErrors++
			return fmt.Errorf("%w: acknowledgement log: %v", ErrSync, err)
		}
	}
	return nil
}
