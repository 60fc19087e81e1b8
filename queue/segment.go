package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const segmentExt = ".seg"

// segment is the in-memory index of one segment file. Its records have
// contiguous sequence numbers first, first+1, ...
type segment struct {
	first uint64
	offs  []int64 // byte offset of each record's frame
	size  int64   // file size: end of the last record
	path  string
	r     *os.File // read handle, opened on first read
}

func (s *segment) count() int   { return len(s.offs) }
func (s *segment) last() uint64 { return s.first + uint64(len(s.offs)) - 1 }
func (s *segment) has(q uint64) bool {
	return len(s.offs) > 0 && q >= s.first && q <= s.last()
}

// frameSize returns the on-disk size of record i.
func (s *segment) frameSize(i int) int64 {
	if i+1 < len(s.offs) {
		return s.offs[i+1] - s.offs[i]
	}
	return s.size - s.offs[i]
}

func (s *segment) closeReader() {
	if s.r != nil {
		s.r.Close()
		s.r = nil
	}
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

// parseSegmentName returns the first sequence number encoded in a segment
// file name.
func parseSegmentName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(base) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	return n, err == nil
}

// listSegments returns the segment files of dir sorted by first sequence
// number, and the *.seg files whose names do not parse.
func listSegments(dir string) (good []string, bad []string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			continue
		}
		if strings.HasSuffix(n, segmentExt+".tmp") {
			// Left by a crash during repair; the original is in quarantine.
			os.Remove(filepath.Join(dir, n))
			continue
		}
		if !strings.HasSuffix(n, segmentExt) {
			continue
		}
		if _, ok := parseSegmentName(n); ok {
			good = append(good, n)
		} else {
			bad = append(bad, n)
		}
	}
	sort.Strings(good) // fixed width: lexical order is numeric order
	return good, bad, nil
}

// quarantine moves dir/name into dir/quarantine/ with a ".reason" file and
// returns the new path.
func quarantine(dir, name string, reasons []string) (string, error) {
	qdir := filepath.Join(dir, "quarantine")
	if err := os.MkdirAll(qdir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(qdir, fmt.Sprintf("%s.%d", name, time.Now().UnixNano()))
	if err := os.Rename(filepath.Join(dir, name), dst); err != nil {
		return "", err
	}
	text := strings.Join(reasons, "\n") + "\n"
	if err := os.WriteFile(dst+".reason", []byte(text), 0o644); err != nil {
		return dst, err
	}
	return dst, nil
}

// writeSegment writes a new segment file holding the given frames of data
// (a run of contiguous sequence numbers) under a temporary name and returns
// its index; the caller renames it into place.
func writeSegment(tmp string, data []byte, run []scannedRecord, durable bool) (*segment, error) {
	buf := make([]byte, 0, segmentHeaderSize+int(run[len(run)-1].off+run[len(run)-1].size-run[0].off))
	buf = append(buf, segmentMagic...)
	s := &segment{first: run[0].seq}
	for _, r := range run {
		s.offs = append(s.offs, int64(len(buf)))
		buf = append(buf, data[r.off:r.off+r.size]...)
	}
	s.size = int64(len(buf))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(buf)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	return s, nil
}
