package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetkit/fleetkit/twin/store"
	"github.com/fleetkit/fleetkit/twin/store/storetest"
)

func TestFileCorruptQuarantined(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)-2] ^= 0x20; return b }},
		{"truncated (torn write)", func(b []byte) []byte { return b[:len(b)-5] }},
		{"no header", func(b []byte) []byte { return []byte(`{"version":1}`) }},
		{"bad magic", func(b []byte) []byte { b[0] = 'x'; return b }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			f, err := store.OpenFile(dir, store.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.CompareAndSet(ctx, "dev", "cfg", 0, storetest.Doc(t, "cfg", 1)); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "dev", "cfg.twin")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, c.damage(b), 0o644)
			_, err = f.Get(ctx, "dev", "cfg")
			var ce *store.CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, store.ErrCorrupt) || ce.Location != p+".corrupt" {
				t.Fatalf("Get of a damaged file: got %v, want *CorruptError quarantined at %s", err, p+".corrupt")
			}
			if _, err := os.Stat(p + ".corrupt"); err != nil {
				t.Fatalf("quarantined file missing: %v", err)
			}
			if _, err := f.Get(ctx, "dev", "cfg"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("after quarantine: got %v, want ErrNotFound", err)
			}
		})
	}
}

func TestFileLockAndLeftovers(t *testing.T) {
	dir := t.TempDir()
	f, err := store.OpenFile(dir, store.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenFile(dir, store.FileOptions{}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second OpenFile: got %v, want ErrLocked", err)
	}
	f.CompareAndSet(context.Background(), "dev", "cfg", 0, storetest.Doc(t, "cfg", 1))
	f.Close()
	// A crash between CreateTemp and rename leaves a temporary file: reopening removes it and
	// the old record is intact.
	tmp := filepath.Join(dir, "dev", ".tmp-123")
	os.WriteFile(tmp, []byte("half a docu"), 0o644)
	f, err = store.OpenFile(dir, store.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left after OpenFile: %v", err)
	}
	r, err := f.Get(context.Background(), "dev", "cfg")
	if err != nil || r.Version != 1 {
		t.Fatalf("record after reopen: %+v %v", r, err)
	}
}
