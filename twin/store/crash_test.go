package store_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
	"github.com/fleetkit/fleetkit/twin/store/storetest"
)

// TestFileSurvivesKill9 runs a child process that rewrites twins as fast as it can, kills it
// with SIGKILL mid-write, and checks that every twin in the directory still reads back as a
// complete, valid document (no torn or corrupt file).
func TestFileSurvivesKill9(t *testing.T) {
	if dir := os.Getenv("FK_STORE_CRASH_DIR"); dir != "" {
		crashWriter(dir)
		return
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFileSurvivesKill9$")
		cmd.Env = append(os.Environ(), "FK_STORE_CRASH_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()

		f, err := store.OpenFile(dir, store.FileOptions{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill -9: %v", round, err)
		}
		recs, err := f.List(context.Background(), "")
		if err != nil {
			t.Fatalf("round %d: list after kill -9: %v", round, err)
		}
		if len(recs) == 0 {
			t.Fatalf("round %d: the writer wrote nothing before it was killed", round)
		}
		for _, r := range recs {
			d, err := twin.ParseDocument(r.Doc, twin.Limits{})
			if err != nil || d.Version() != 1 {
				t.Fatalf("round %d: %s/%s after kill -9: %v", round, r.Device, r.Name, err)
			}
		}
		f.Close()
	}
}

// crashWriter rewrites 16 twins in a loop until killed.
func crashWriter(dir string) {
	f, err := store.OpenFile(dir, store.FileOptions{})
	if err != nil {
		os.Exit(3)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		dev := "dev-" + strconv.Itoa(i%16)
		doc := storetest.Doc(&testing.T{}, "cfg", i)
		r, err := f.Get(ctx, dev, "cfg")
		var v uint64
		if err == nil {
			v = r.Version
		}
		f.CompareAndSet(ctx, dev, "cfg", v, doc)
	}
}
