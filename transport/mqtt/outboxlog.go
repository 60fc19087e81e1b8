package mqtt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// outboxLog is the outbox's durable store: append-only segment files of framed records, and an
// append-only acknowledgement file.
//
//	segment  <dir>/<first seq, 20 digits>.seg, records back to back:
//	         length uint32 | crc32c(seq|payload) uint32 | seq uint64 | payload
//	acks     <dir>/acks: seq uint64 | crc32c(seq) uint32, one per acknowledged record
//
// An append is one write(2) into the page cache: it survives kill -9 of the process (and, with
// SyncAlways, power loss). On open, a torn record at the end of the newest segment (a crash
// mid-write) is cut off; a damaged record anywhere else makes the segment's file move to
// <dir>/quarantine/, and every intact record in it (found by re-synchronising on the next valid
// frame) and in the other segments is still delivered. Fully acknowledged segments are deleted;
// the ack file is rewritten (write, fsync, rename) when it grows past the live records.
type outboxLog struct {
	dir  string
	opts OutboxOptions

	mu       sync.Mutex
	active   *os.File
	activeN  int64 // bytes in the active segment
	segs     []*segment
	next     uint64            // next sequence number
	index    map[uint64]recLoc // unacknowledged records
	order    []uint64          // unacknowledged sequence numbers, ascending (lazily compacted)
	bytes    int64             // payload bytes of unacknowledged records
	acks     *os.File
	ackCount int
	report   OutboxReport
	buf      []byte
	closed   bool
}

type segment struct {
	first uint64
	path  string
	f     *os.File
	live  int // unacknowledged records in it
}

type recLoc struct {
	seg *segment
	off int64 // of the payload
	n   int
}

const (
	frameHeader  = 16
	maxRecord    = 256 << 20
	segmentLimit = 16 << 20
	ackSize      = 12
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func frameCRC(seq uint64, payload []byte) uint32 {
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seq)
	return crc32.Update(crc32.Checksum(s[:], castagnoli), castagnoli, payload)
}

func segName(first uint64) string { return fmt.Sprintf("%020d.seg", first) }

func openOutboxLog(dir string, opts OutboxOptions) (*outboxLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mqtt: outbox: %w", err)
	}
	l := &outboxLog{dir: dir, opts: opts, index: map[uint64]recLoc{}, next: 1}
	acked, err := l.loadAcks()
	if err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	type segFile struct {
		name  string
		first uint64
	}
	var files []segFile
	for _, name := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), ".seg"), 10, 64)
		if err != nil || first == 0 {
			l.quarantine(name, "segment file name is not a sequence number")
			continue
		}
		files = append(files, segFile{name, first})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].first < files[j].first })
	for i, f := range files {
		if err := l.loadSegment(f.name, f.first, acked, i == len(files)-1); err != nil {
			return nil, err
		}
	}
	// Drop segments with nothing left to deliver (all acknowledged), except the newest.
	for len(l.segs) > 1 && l.segs[0].live == 0 {
		l.removeSegment(l.segs[0])
	}
	if err := l.rewriteAcks(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *outboxLog) quarantine(path, reason string) {
	qdir := filepath.Join(l.dir, "quarantine")
	_ = os.MkdirAll(qdir, 0o700)
	dst := filepath.Join(qdir, filepath.Base(path))
	if err := os.Rename(path, dst); err != nil {
		dst = path
	}
	l.report.Quarantined = append(l.report.Quarantined, QuarantinedFile{Path: dst, Reason: reason})
}

func (l *outboxLog) loadAcks() (map[uint64]bool, error) {
	acked := map[uint64]bool{}
	data, err := os.ReadFile(filepath.Join(l.dir, "acks"))
	if errors.Is(err, os.ErrNotExist) {
		return acked, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mqtt: outbox: %w", err)
	}
	for off := 0; off+ackSize <= len(data); off += ackSize {
		seq := binary.LittleEndian.Uint64(data[off:])
		if frameCRC(seq, nil) != binary.LittleEndian.Uint32(data[off+8:]) {
			// A damaged acknowledgement only means a re-send (at least once): skip it.
			l.report.BadAcks++
			continue
		}
		acked[seq] = true
	}
	return acked, nil
}

func (l *outboxLog) loadSegment(path string, first uint64, acked map[uint64]bool, newest bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mqtt: outbox: %w", err)
	}
	seg := &segment{first: first, path: path}
	type found struct {
		seq    uint64
		off, n int
	}
	var recs []found
	damaged := false
	good := 0 // end of the last intact record
	for off := 0; off < len(data); {
		if rec, ok := parseFrame(data, off); ok && (len(recs) == 0 || rec.seq > recs[len(recs)-1].seq) {
			recs = append(recs, found{rec.seq, off + frameHeader, rec.n})
			off += frameHeader + rec.n
			good = off
			continue
		}
		// Not a valid frame here: a torn tail if nothing valid follows, damage otherwise.
		next := -1
		for j := off + 1; j+frameHeader <= len(data); j++ {
			if rec, ok := parseFrame(data, j); ok && (len(recs) == 0 || rec.seq > recs[len(recs)-1].seq) {
				next = j
				break
			}
		}
		if next < 0 {
			if !newest {
				damaged = true
			}
			l.report.TornBytes += len(data) - off
			break
		}
		damaged = true
		l.report.CorruptBytes += next - off
		off = next
	}
	if damaged {
		// Copy the intact records into a fresh segment and quarantine the damaged file.
		l.quarantine(path, fmt.Sprintf("damaged records (%d intact recovered)", len(recs)))
		for _, r := range recs {
			if acked[r.seq] {
				continue
			}
			if err := l.appendLocked(r.seq, data[r.off:r.off+r.n]); err != nil {
				return err
			}
			l.report.Recovered++
		}
		return nil
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return fmt.Errorf("mqtt: outbox: cutting torn tail: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("mqtt: outbox: %w", err)
	}
	seg.f = f
	l.segs = append(l.segs, seg)
	for _, r := range recs {
		if r.seq >= l.next {
			l.next = r.seq + 1
		}
		if acked[r.seq] {
			continue
		}
		l.index[r.seq] = recLoc{seg, int64(r.off), r.n}
		l.order = append(l.order, r.seq)
		l.bytes += int64(r.n)
		seg.live++
	}
	if newest {
		l.active, l.activeN = f, int64(good)
	}
	return nil
}

type frame struct {
	seq uint64
	n   int
}

func parseFrame(data []byte, off int) (frame, bool) {
	if off+frameHeader > len(data) {
		return frame{}, false
	}
	n := int(binary.LittleEndian.Uint32(data[off:]))
	if n > maxRecord || off+frameHeader+n > len(data) {
		return frame{}, false
	}
	seq := binary.LittleEndian.Uint64(data[off+8:])
	if seq == 0 || frameCRC(seq, data[off+frameHeader:off+frameHeader+n]) != binary.LittleEndian.Uint32(data[off+4:]) {
		return frame{}, false
	}
	return frame{seq, n}, true
}

// Append implements outboxStore.
func (l *outboxLog) Append(rec []byte) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, errors.New("mqtt: outbox closed")
	}
	if len(rec) > maxRecord {
		return 0, fmt.Errorf("mqtt: outbox: %d-byte record exceeds %d", len(rec), maxRecord)
	}
	for l.full(len(rec)) {
		if l.opts.Full != DropOldest || len(l.index) == 0 {
			return 0, fmt.Errorf("%w: %d messages, %d bytes stored (limits %d messages, %d bytes)",
				errOutboxFull, len(l.index), l.bytes, l.opts.MaxMessages, l.opts.MaxBytes)
		}
		oldest := l.oldestLocked()
		if err := l.ackLocked(oldest); err != nil {
			return 0, err
		}
		l.report.Dropped++
	}
	seq := l.next
	if err := l.appendLocked(seq, rec); err != nil {
		return 0, err
	}
	return seq, nil
}

func (l *outboxLog) full(n int) bool {
	return (l.opts.MaxMessages > 0 && len(l.index) >= l.opts.MaxMessages) ||
		(l.opts.MaxBytes > 0 && l.bytes+int64(n) > l.opts.MaxBytes)
}

func (l *outboxLog) appendLocked(seq uint64, rec []byte) error {
	if l.active == nil || l.activeN >= segmentLimit {
		if err := l.rollLocked(seq); err != nil {
			return err
		}
	}
	l.buf = slices.Grow(l.buf[:0], frameHeader+len(rec))[:frameHeader]
	binary.LittleEndian.PutUint32(l.buf[0:], uint32(len(rec)))
	binary.LittleEndian.PutUint32(l.buf[4:], frameCRC(seq, rec))
	binary.LittleEndian.PutUint64(l.buf[8:], seq)
	l.buf = append(l.buf, rec...)
	if _, err := l.active.WriteAt(l.buf, l.activeN); err != nil {
		return fmt.Errorf("mqtt: outbox write: %w", err)
	}
	if l.opts.Sync == SyncAlways {
		if err := l.active.Sync(); err != nil {
			return fmt.Errorf("mqtt: outbox fsync: %w", err)
		}
	}
	seg := l.segs[len(l.segs)-1]
	l.index[seq] = recLoc{seg, l.activeN + frameHeader, len(rec)}
	l.order = append(l.order, seq)
	l.bytes += int64(len(rec))
	seg.live++
	l.activeN += int64(len(l.buf))
	if seq >= l.next {
		l.next = seq + 1
	}
	return nil
}

func (l *outboxLog) rollLocked(first uint64) error {
	path := filepath.Join(l.dir, segName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("mqtt: outbox: %w", err)
	}
	if l.opts.Sync == SyncAlways {
		if d, err := os.Open(l.dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	l.segs = append(l.segs, &segment{first: first, path: path, f: f})
	l.active, l.activeN = f, 0
	return nil
}

func (l *outboxLog) oldestLocked() uint64 {
	for len(l.order) > 0 {
		if _, ok := l.index[l.order[0]]; ok {
			return l.order[0]
		}
		l.order = l.order[1:]
	}
	return 0
}

// Ack implements outboxStore.
func (l *outboxLog) Ack(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	return l.ackLocked(seq)
}

func (l *outboxLog) ackLocked(seq uint64) error {
	loc, ok := l.index[seq]
	if !ok {
		return nil
	}
	if l.acks == nil {
		f, err := os.OpenFile(filepath.Join(l.dir, "acks"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("mqtt: outbox: %w", err)
		}
		l.acks = f
	}
	var b [ackSize]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	binary.LittleEndian.PutUint32(b[8:], frameCRC(seq, nil))
	if _, err := l.acks.Write(b[:]); err != nil {
		return fmt.Errorf("mqtt: outbox ack: %w", err)
	}
	l.ackCount++
	delete(l.index, seq)
	l.bytes -= int64(loc.n)
	loc.seg.live--
	for len(l.segs) > 1 && l.segs[0].live == 0 {
		l.removeSegment(l.segs[0])
	}
	if len(l.order) > 4*len(l.index)+1024 {
		kept := l.order[:0]
		for _, s := range l.order {
			if _, ok := l.index[s]; ok {
				kept = append(kept, s)
			}
		}
		l.order = kept
	}
	// Rewrite the ack file when most of it is no longer needed: acknowledgements of records in
	// deleted segments. (Those of records still in a live segment must stay.)
	if l.ackCount > 2*l.neededAcks()+4096 {
		return l.rewriteAcks()
	}
	return nil
}

// neededAcks counts the acknowledged records still inside the remaining segments.
func (l *outboxLog) neededAcks() int {
	if len(l.segs) == 0 {
		return 0
	}
	return int(l.next-l.segs[0].first) - len(l.index)
}

func (l *outboxLog) removeSegment(s *segment) {
	if s.f != nil {
		s.f.Close()
	}
	os.Remove(s.path)
	l.segs = l.segs[1:]
}

// rewriteAcks replaces the ack file with the acknowledgements still needed: those of records in
// the remaining segments.
func (l *outboxLog) rewriteAcks() error {
	if l.acks != nil {
		l.acks.Close()
		l.acks = nil
	}
	var lo uint64
	if len(l.segs) > 0 {
		lo = l.segs[0].first
	}
	var out []byte
	for seq := lo; seq < l.next && lo > 0; seq++ {
		if _, live := l.index[seq]; live {
			continue
		}
		var b [ackSize]byte
		binary.LittleEndian.PutUint64(b[:], seq)
		binary.LittleEndian.PutUint32(b[8:], frameCRC(seq, nil))
		out = append(out, b[:]...)
	}
	tmp := filepath.Join(l.dir, "acks.tmp")
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return fmt.Errorf("mqtt: outbox: %w", err)
	}
	if f, err := os.Open(tmp); err == nil {
		f.Sync()
		f.Close()
	}
	if err := os.Rename(tmp, filepath.Join(l.dir, "acks")); err != nil {
		return fmt.Errorf("mqtt: outbox: %w", err)
	}
	l.ackCount = len(out) / ackSize
	return nil
}

// Scan implements outboxStore.
func (l *outboxLog) Scan(after uint64, max int, fn func(seq uint64, rec []byte)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.order), func(i int) bool { return l.order[i] > after })
	for ; i < len(l.order) && max > 0; i++ {
		seq := l.order[i]
		loc, ok := l.index[seq]
		if !ok {
			continue
		}
		rec := make([]byte, loc.n)
		if _, err := loc.seg.f.ReadAt(rec, loc.off); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("mqtt: outbox read seq %d: %w", seq, err)
		}
		fn(seq, rec)
		max--
	}
	return nil
}

// Pending implements outboxStore.
func (l *outboxLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.index)
}

// Close implements outboxStore.
func (l *outboxLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var err error
	for _, s := range l.segs {
		if s.f != nil {
			if l.opts.Sync == SyncAlways {
				s.f.Sync()
			}
			if e := s.f.Close(); err == nil {
				err = e
			}
		}
	}
	if l.acks != nil {
		l.acks.Close()
	}
	return err
}
