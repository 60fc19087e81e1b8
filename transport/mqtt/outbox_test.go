package mqtt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

func openTestOutbox(t *testing.T, dir string, opts OutboxOptions) *Outbox {
	t.Helper()
	ob, err := OpenOutbox(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

// storedPayloads lists the payloads an outbox holds, oldest first.
func storedPayloads(t *testing.T, ob *Outbox) []string {
	t.Helper()
	var out []string
	if err := ob.store.Scan(0, 1<<30, func(_ uint64, rec []byte) {
		m, _, err := decodeRecord(rec)
		if err != nil {
			t.Fatalf("stored record does not decode: %v", err)
		}
		out = append(out, string(m.Payload))
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func fill(t *testing.T, ob *Outbox, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := ob.put(&transport.Message{Topic: "fk/v1/d1/tlm", Payload: []byte(fmt.Sprintf("m%04d", i)), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOutboxReopenKeepsUnacknowledged(t *testing.T) {
	dir := t.TempDir()
	ob := openTestOutbox(t, dir, OutboxOptions{})
	fill(t, ob, 0, 10)
	for _, seq := range []uint64{1, 2, 5} { // out of order, with a gap
		if err := ob.store.Ack(seq); err != nil {
			t.Fatal(err)
		}
	}
	ob.Close()
	ob = openTestOutbox(t, dir, OutboxOptions{})
	defer ob.Close()
	got := storedPayloads(t, ob)
	want := "[m0002 m0003 m0005 m0006 m0007 m0008 m0009]"
	if fmt.Sprint(got) != want {
		t.Fatalf("after reopen: %v, want %v", got, want)
	}
	fill(t, ob, 10, 1)
	if got := storedPayloads(t, ob); got[len(got)-1] != "m0010" || len(got) != 8 {
		t.Fatalf("append after reopen: %v", got)
	}
}

func TestOutboxFullPolicies(t *testing.T) {
	ob := openTestOutbox(t, t.TempDir(), OutboxOptions{MaxMessages: 3})
	defer ob.Close()
	fill(t, ob, 0, 3)
	err := ob.put(&transport.Message{Topic: "fk/v1/d1/tlm", Payload: []byte("m0003"), QoS: 1})
	if !errors.Is(err, transport.ErrOutboxFull) || !strings.Contains(err.Error(), "limits 3 messages") {
		t.Fatalf("Reject policy: %v, want ErrOutboxFull naming the limit", err)
	}
	if got := fmt.Sprint(storedPayloads(t, ob)); got != "[m0000 m0001 m0002]" {
		t.Fatalf("a refused message changed the outbox: %v", got)
	}

	drop := openTestOutbox(t, t.TempDir(), OutboxOptions{MaxBytes: 5 * 40, Full: DropOldest})
	defer drop.Close()
	fill(t, drop, 0, 8)
	got := storedPayloads(t, drop)
	if len(got) == 0 || got[len(got)-1] != "m0007" || len(got) >= 8 {
		t.Fatalf("DropOldest kept %v", got)
	}
	if r := drop.Report(); r.Dropped != 8-len(got) {
		t.Fatalf("Dropped = %d, want %d", r.Dropped, 8-len(got))
	}
}

func segmentFile(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	return segs[0]
}

// TestOutboxCorruptSegment: a damaged record in the middle is quarantined and reported; every
// intact record before and after it is still there.
func TestOutboxCorruptSegment(t *testing.T) {
	dir := t.TempDir()
	ob := openTestOutbox(t, dir, OutboxOptions{})
	fill(t, ob, 0, 20)
	ob.Close()
	seg := segmentFile(t, dir)
	data, _ := os.ReadFile(seg)
	recLen := len(data) / 20
	data[7*recLen+frameHeader+3] ^= 0xff // inside record 8's payload
	os.WriteFile(seg, data, 0o600)

	ob = openTestOutbox(t, dir, OutboxOptions{})
	defer ob.Close()
	r := ob.Report()
	if len(r.Quarantined) != 1 || r.Recovered != 19 || r.CorruptBytes == 0 {
		t.Fatalf("report %+v: want one quarantined segment, 19 records recovered", r)
	}
	if _, err := os.Stat(r.Quarantined[0].Path); err != nil || !strings.Contains(r.Quarantined[0].Path, "quarantine") {
		t.Fatalf("quarantined file not kept aside: %v %v", r.Quarantined[0].Path, err)
	}
	got := storedPayloads(t, ob)
	if len(got) != 19 || got[6] != "m0006" || got[7] != "m0008" || got[18] != "m0019" {
		t.Fatalf("delivered after corruption: %v", got)
	}
}

// TestOutboxTornTail: a record cut short by a crash is removed silently-but-counted.
func TestOutboxTornTail(t *testing.T) {
	dir := t.TempDir()
	ob := openTestOutbox(t, dir, OutboxOptions{})
	fill(t, ob, 0, 5)
	ob.Close()
	seg := segmentFile(t, dir)
	st, _ := os.Stat(seg)
	os.Truncate(seg, st.Size()-3)
	os.WriteFile(filepath.Join(dir, "garbage.seg"), []byte("not a segment"), 0o600)
	ob = openTestOutbox(t, dir, OutboxOptions{})
	defer ob.Close()
	if got := storedPayloads(t, ob); len(got) != 4 {
		t.Fatalf("after a torn tail: %v", got)
	}
	r := ob.Report()
	if r.TornBytes == 0 || len(r.Quarantined) != 1 {
		t.Fatalf("report %+v: want torn bytes counted and the garbage file quarantined", r)
	}
	fill(t, ob, 5, 1)
	if got := storedPayloads(t, ob); len(got) != 5 || got[4] != "m0005" {
		t.Fatalf("append after torn tail: %v", got)
	}
}

// TestOutboxSurvivesKill9: a child process publishes through an outbox while its broker is
// unreachable and is killed with SIGKILL mid-stream; every publish that returned before the kill
// is delivered by a new client on the same outbox.
func TestOutboxSurvivesKill9(t *testing.T) {
	if dir := os.Getenv("FLEETKIT_OUTBOX_CHILD"); dir != "" {
		outboxChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutboxSurvivesKill9$")
	cmd.Env = append(os.Environ(), "FLEETKIT_OUTBOX_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 500 {
		if p, ok := strings.CutPrefix(sc.Text(), "stored "); ok {
			acked[p] = true
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(acked) < 500 {
		t.Fatalf("child reported only %d publishes", len(acked))
	}

	e := startEmbedded(t)
	cloud, err := New(Config{Servers: []string{e.url()}, ClientID: "cloud-k9", Cloud: true, Username: "cloud", Password: []byte(benchCloudPassword)})
	if err != nil {
		t.Fatal(err)
	}
	defer cloud.Close()
	got := make(chan string, 100000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cloud.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cloud.Subscribe(ctx, "fk/v1/k9/tlm", 1, func(m *transport.Message) { got <- string(m.Payload) }); err != nil {
		t.Fatal(err)
	}
	ob := openTestOutbox(t, dir, OutboxOptions{})
	defer ob.Close()
	dev, err := New(Config{Servers: []string{e.url()}, ClientID: "k9", Username: "k9", Outbox: ob})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	seen := map[string]bool{}
	for missing := len(acked); missing > 0; {
		select {
		case p := <-got:
			if acked[p] && !seen[p] {
				missing--
			}
			seen[p] = true
		case <-ctx.Done():
			t.Fatalf("%d of %d acknowledged publishes never arrived after kill -9 (report %+v)", missing, len(acked), ob.Report())
		}
	}
}

func outboxChild(dir string) {
	ob, err := OpenOutbox(dir, OutboxOptions{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: everything stays in the outbox
	c, err := New(Config{Servers: []string{"mqtt://" + addr}, ClientID: "k9", Outbox: ob})
	if err != nil {
		fmt.Println("new:", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		p := "k9-" + strconv.Itoa(i)
		if err := c.Publish(context.Background(), &transport.Message{Topic: "fk/v1/k9/tlm", Payload: []byte(p), QoS: 1}); err != nil {
			fmt.Println("publish:", err)
			os.Exit(2)
		}
		fmt.Fprintln(w, "stored", p)
		w.Flush()
	}
}
