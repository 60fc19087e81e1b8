package queue

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func payload(seq uint64) []byte { return fmt.Appendf(nil, "record-%08d-%0200d", seq, seq) }

func readAll(t *testing.T, q *Queue) []Record {
	t.Helper()
	recs, err := q.Read(nil, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func mustOpen(t *testing.T, dir string, cfg Config) *Queue {
	t.Helper()
	q, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRoundTripRolloverDeletion(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, Config{SegmentSize: MinSegmentSize})
	for i := range 100 {
		seq, err := q.Append(payload(uint64(i + 1)))
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("append %d: seq %d err %v", i, seq, err)
		}
	}
	if s := q.Stats(); s.Segments < 5 || s.Pending != 100 {
		t.Fatalf("stats %+v", s)
	}
	recs := readAll(t, q)
	if len(recs) != 100 {
		t.Fatalf("read %d records", len(recs))
	}
	for _, r := range recs {
		if string(r.Data) != string(payload(r.Seq)) {
			t.Fatalf("seq %d: bad data", r.Seq)
		}
	}
	for _, r := range recs[:90] {
		if err := q.Ack(r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	s := q.Stats()
	if s.Head != 90 || s.Pending != 10 || s.Segments > 2 {
		t.Fatalf("after ack: %+v", s)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(files) != s.Segments {
		t.Fatalf("%d segment files, Stats says %d", len(files), s.Segments)
	}
	if err := q.Ack(0); !errors.Is(err, ErrUnknownSeq) {
		t.Fatalf("Ack(0) = %v", err)
	}
	if err := q.Ack(101); !errors.Is(err, ErrUnknownSeq) {
		t.Fatalf("Ack(101) = %v", err)
	}
	if _, err := q.Append(make([]byte, q.cfg.MaxRecordSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized append = %v", err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	if _, err := q.Append(nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close = %v", err)
	}
}

func TestAckOutOfOrderReopen(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, Config{SegmentSize: MinSegmentSize})
	for i := range 50 {
		q.Append(payload(uint64(i + 1)))
	}
	acked := map[uint64]bool{}
	for _, s := range []uint64{5, 3, 1, 2, 40, 41, 7, 50} {
		acked[s] = true
	}
	if err := q.Ack(5, 3, 1, 2, 40, 41, 7, 50); err != nil {
		t.Fatal(err)
	}
	if h := q.Stats().Head; h != 3 {
		t.Fatalf("head %d, want 3", h)
	}
	// Simulate a crash: no Close (the lock file is released with the fd).
	q.closeFiles()
	q = mustOpen(t, dir, Config{SegmentSize: MinSegmentSize})
	defer q.Close()
	recs := readAll(t, q)
	if len(recs) != 50-len(acked) {
		t.Fatalf("redelivered %d, want %d", len(recs), 50-len(acked))
	}
	for _, r := range recs {
		if acked[r.Seq] || string(r.Data) != string(payload(r.Seq)) {
			t.Fatalf("seq %d wrongly redelivered or damaged", r.Seq)
		}
	}
	if seq, _ := q.Append([]byte("x")); seq != 51 {
		t.Fatalf("next seq %d, want 51", seq)
	}
	q.Rewind()
	if n := len(readAll(t, q)); n != 43 {
		t.Fatalf("after rewind read %d, want 43", n)
	}
}

func TestFullPolicies(t *testing.T) {
	t.Run("Reject", func(t *testing.T) {
		q := mustOpen(t, t.TempDir(), Config{MaxRecords: 3})
		defer q.Close()
		for i := range 3 {
			if _, err := q.Append([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.Append([]byte{9}); !errors.Is(err, ErrFull) {
			t.Fatalf("append when full = %v", err)
		}
		if n := len(readAll(t, q)); n != 3 {
			t.Fatalf("%d records after reject", n)
		}
		q.Ack(1)
		if _, err := q.Append([]byte{9}); err != nil {
			t.Fatal("append after ack:", err)
		}
	})
	t.Run("DropOldest", func(t *testing.T) {
		var dropped []uint64
		dir := t.TempDir()
		cfg := Config{MaxBytes: 4 * (FrameOverhead + 100), MaxRecordSize: 100, Full: DropOldest,
			OnDrop: func(seq uint64, size int) { dropped = append(dropped, seq) }}
		q := mustOpen(t, dir, cfg)
		for i := range 10 {
			if _, err := q.Append(make([]byte, 100)); err != nil {
				t.Fatal(i, err)
			}
		}
		s := q.Stats()
		if s.Dropped != 6 || len(dropped) != 6 || dropped[0] != 1 || dropped[5] != 6 || s.Retained != 4 {
			t.Fatalf("stats %+v dropped %v", s, dropped)
		}
		q.Close()
		q = mustOpen(t, dir, cfg)
		defer q.Close()
		recs := readAll(t, q)
		if len(recs) != 4 || recs[0].Seq != 7 {
			t.Fatalf("after reopen: %d records from %d", len(recs), recs[0].Seq)
		}
	})
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{SegmentSize: 10}, "SegmentSize"},
		{Config{SegmentSize: MinSegmentSize, MaxRecordSize: MinSegmentSize}, "MaxRecordSize"},
		{Config{MaxBytes: 10}, "MaxBytes"},
		{Config{MaxRecords: -1}, "MaxRecords"},
		{Config{Full: 7}, "Full"},
		{Config{Sync: 9}, "Sync"},
	} {
		_, err := Open(t.TempDir(), c.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: got %v, want field %s", c.cfg, err, c.field)
		}
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, Config{})
	defer q.Close()
	if _, err := Open(dir, Config{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open = %v", err)
	}
}

func TestSyncPolicies(t *testing.T) {
	for _, p := range []SyncPolicy{SyncNever, SyncBatch, SyncAlways} {
		dir := t.TempDir()
		q := mustOpen(t, dir, Config{Sync: p, SyncRecords: 3})
		for i := range 10 {
			q.Append(payload(uint64(i + 1)))
		}
		q.Ack(2)
		if err := q.Sync(); err != nil {
			t.Fatal(p, err)
		}
		q.Close()
		q = mustOpen(t, dir, Config{Sync: p})
		if n := len(readAll(t, q)); n != 9 {
			t.Fatalf("%v: %d records", p, n)
		}
		q.Close()
	}
}

func TestWait(t *testing.T) {
	q := mustOpen(t, t.TempDir(), Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := q.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on empty = %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- q.Wait(context.Background()) }()
	q.Append([]byte("x"))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	q.Read(nil, 1)
	go func() { got <- q.Wait(context.Background()) }()
	q.Close()
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("wait after close = %v", err)
	}
}

// TestCorruption damages segments in each way and checks quarantine, reports
// and delivery of every intact record.
func TestCorruption(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, dir string, segs []string)
		lost    int // records not delivered
		corrupt bool
		torn    bool
	}{
		{"flip middle", func(t *testing.T, dir string, segs []string) {
			b, _ := os.ReadFile(segs[0])
			b[segmentHeaderSize+5*(FrameOverhead+len(payload(1)))+30] ^= 0xff // record 6 payload
			os.WriteFile(segs[0], b, 0o644)
		}, 1, true, false},
		{"flip header", func(t *testing.T, dir string, segs []string) {
			b, _ := os.ReadFile(segs[0])
			b[segmentHeaderSize+2*(FrameOverhead+len(payload(1)))+1] ^= 0xff // record 3 length
			os.WriteFile(segs[0], b, 0o644)
		}, 1, true, false},
		{"torn tail", func(t *testing.T, dir string, segs []string) {
			last := segs[len(segs)-1]
			fi, _ := os.Stat(last)
			os.Truncate(last, fi.Size()-7)
		}, 1, false, true},
		{"garbage segment", func(t *testing.T, dir string, segs []string) {
			os.WriteFile(filepath.Join(dir, segmentName(99999)), []byte("garbage garbage garbage garbage"), 0o644)
			os.WriteFile(filepath.Join(dir, "junk.seg"), []byte("junk"), 0o644)
		}, 0, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{SegmentSize: MinSegmentSize}
			q := mustOpen(t, dir, cfg)
			for i := range 40 {
				q.Append(payload(uint64(i + 1)))
			}
			q.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
			c.damage(t, dir, segs)
			var reports []CorruptionReport
			cfg.OnCorrupt = func(r CorruptionReport) { reports = append(reports, r) }
			q = mustOpen(t, dir, cfg)
			defer q.Close()
			recs := readAll(t, q)
			if len(recs) != 40-c.lost {
				t.Fatalf("delivered %d, want %d", len(recs), 40-c.lost)
			}
			for _, r := range recs {
				if string(r.Data) != string(payload(r.Seq)) {
					t.Fatalf("seq %d damaged", r.Seq)
				}
			}
			s := q.Stats()
			if (len(reports) > 0) != c.corrupt || (s.Corrupt > 0) != c.corrupt || (s.TornTails > 0) != c.torn {
				t.Fatalf("reports %v stats %+v", reports, s)
			}
			for _, r := range reports {
				if !errors.Is(r, ErrCorrupt) || r.Quarantine == "" {
					t.Fatalf("report %v", r)
				}
				if _, err := os.Stat(r.Quarantine + ".reason"); err != nil {
					t.Fatal(err)
				}
			}
			want := uint64(41)
			if c.torn { // the torn record never completed: its number is reused
				want = 40
			}
			if seq, err := q.Append([]byte("after")); err != nil || seq != want {
				t.Fatalf("append after recovery: %d %v", seq, err)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	q, _ := Open(dir, Config{})
	for i := range 3 {
		q.Append(payload(uint64(i + 1)))
	}
	q.Ack(2)
	q.Close()
	seg, _ := os.ReadFile(filepath.Join(dir, segmentName(1)))
	f.Add(seg, []byte(nil))
	f.Add(seg[:len(seg)-3], []byte(ackLogMagic))
	f.Add([]byte(segmentMagic+"\x00\x00\x00\x00"), []byte("junk"))
	f.Fuzz(func(t *testing.T, seg, ackLog []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, segmentName(1)), seg, 0o644)
		os.WriteFile(filepath.Join(dir, ackLogName), ackLog, 0o644)
		q, err := Open(dir, Config{})
		if err != nil {
			return
		}
		defer q.Close()
		recs := readAll(t, q)
		for i := 1; i < len(recs); i++ {
			if recs[i].Seq <= recs[i-1].Seq {
				t.Fatal("sequence numbers not increasing")
			}
		}
		if _, err := q.Append([]byte("x")); err != nil {
			t.Fatal(err)
		}
	})
}

const killEnv = "FLEETKIT_QUEUE_KILL_CHILD"

// TestKill9 appends in a child process killed with SIGKILL at a random
// moment; every record whose Append returned must be present and intact.
func TestKill9(t *testing.T) {
	if dir := os.Getenv(killEnv); dir != "" {
		q, err := Open(dir, Config{SegmentSize: 64 << 10})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		w := bufio.NewWriter(os.Stdout)
		for i := uint64(1); ; i++ {
			seq, err := q.Append(payload(i))
			if err != nil {
				fmt.Fprintln(w, "ERR", err)
				w.Flush()
				os.Exit(2)
			}
			fmt.Fprintln(w, seq)
			w.Flush()
		}
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), killEnv+"="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	stopAt := 2000 + rand.IntN(20000)
	var last uint64
	for sc.Scan() {
		n, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child: %s", sc.Text())
		}
		last = n
		if int(n) == stopAt {
			cmd.Process.Kill()
		}
	}
	cmd.Wait()
	var reports []CorruptionReport
	q := mustOpen(t, dir, Config{SegmentSize: 64 << 10, OnCorrupt: func(r CorruptionReport) { reports = append(reports, r) }})
	defer q.Close()
	recs := readAll(t, q)
	if uint64(len(recs)) < last {
		t.Fatalf("child acknowledged %d appends, reopened queue has %d", last, len(recs))
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) || string(r.Data) != string(payload(r.Seq)) {
			t.Fatalf("record %d: seq %d damaged", i, r.Seq)
		}
	}
	if len(reports) != 0 {
		t.Fatalf("corruption after kill -9: %v", reports)
	}
}
