// Package storetest is the public conformance suite for twin stores (package twin/store): every
// Store implementation — memory, file, PostgreSQL, and any a user writes — runs [Run], and every
// Querier [RunQuery]. It checks the compare-and-set contract (create, update, stale versions,
// delete), key validation, listing, and N concurrent writers doing read-modify-CAS-retry on one
// twin: no update is lost and versions strictly increase.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
)

// Run runs the conformance suite against stores made by newStore. newStore must return an empty
// store for each call; Run closes it.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	t.Run("CreateGetUpdate", func(t *testing.T) { testCreateGetUpdate(t, open(t, newStore)) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, open(t, newStore)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t, newStore)) })
	t.Run("InvalidKey", func(t *testing.T) { testInvalidKey(t, open(t, newStore)) })
	t.Run("List", func(t *testing.T) { testList(t, open(t, newStore)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrent(t, open(t, newStore)) })
	t.Run("Closed", func(t *testing.T) {
		s := newStore(t)
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := s.Get(context.Background(), "dev", "cfg"); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Get after Close: got %v, want ErrClosed", err)
		}
	})
}

func open(t *testing.T, newStore func(t *testing.T) store.Store) store.Store {
	s := newStore(t)
	t.Cleanup(func() { s.Close() })
	return s
}

// Doc returns the encoding of a valid twin document named name, at version 1, whose reported
// "n" is n: test data for store implementations.
func Doc(t testing.TB, name string, n int) []byte {
	var d twin.Document
	d.Name = name
	p, err := twin.Set(twin.EmptyObject(), twin.IntOf(int64(n)), "n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Apply(twin.Update{Section: twin.Reported, Patch: p, Time: time.UnixMilli(1795586400000)}); err != nil {
		t.Fatal(err)
	}
	return d.AppendJSON(nil)
}

func testCreateGetUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "dev-1", "config"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing twin: got %v, want ErrNotFound", err)
	}
	d1 := Doc(t, "config", 1)
	v, err := s.CompareAndSet(ctx, "dev-1", "config", 0, d1)
	if err != nil || v != 1 {
		t.Fatalf("create: got (%d, %v), want (1, nil)", v, err)
	}
	d1[0] = 'X' // the store must have copied
	r, err := s.Get(ctx, "dev-1", "config")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if r.Version != 1 || string(r.Doc) != string(Doc(t, "config", 1)) || r.Device != "dev-1" || r.Name != "config" {
		t.Fatalf("Get: got %+v", r)
	}
	d2 := Doc(t, "config", 2)
	if v, err := s.CompareAndSet(ctx, "dev-1", "config", 1, d2); err != nil || v != 2 {
		t.Fatalf("update: got (%d, %v), want (2, nil)", v, err)
	}
	r, _ = s.Get(ctx, "dev-1", "config")
	if r.Version != 2 || string(r.Doc) != string(d2) {
		t.Fatalf("after update: version %d doc %s", r.Version, r.Doc)
	}
	// The unnamed twin is a separate key.
	if v, err := s.CompareAndSet(ctx, "dev-1", "", 0, Doc(t, "", 7)); err != nil || v != 1 {
		t.Fatalf("create unnamed: got (%d, %v)", v, err)
	}
	if r, err := s.Get(ctx, "dev-1", ""); err != nil || r.Version != 1 || r.Name != "" {
		t.Fatalf("Get unnamed: %+v %v", r, err)
	}
}

func testConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.CompareAndSet(ctx, "dev", "cfg", 3, Doc(t, "cfg", 1)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update of a missing twin with expected 3: got %v, want ErrConflict", err)
	}
	if _, err := s.CompareAndSet(ctx, "dev", "cfg", 0, Doc(t, "cfg", 1)); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []uint64{0, 2, 99} {
		_, err := s.CompareAndSet(ctx, "dev", "cfg", exp, Doc(t, "cfg", 5))
		var ce *store.ConflictError
		if !errors.As(err, &ce) || ce.Expected != exp || ce.Current != 1 {
			t.Fatalf("stale expected %d: got %v, want *ConflictError{Expected:%d, Current:1}", exp, err, exp)
		}
	}
	r, _ := s.Get(ctx, "dev", "cfg")
	if r.Version != 1 || string(r.Doc) != string(Doc(t, "cfg", 1)) {
		t.Fatalf("a failed CAS changed the record: %+v", r)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Delete(ctx, "dev", "cfg", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete missing: got %v, want ErrNotFound", err)
	}
	s.CompareAndSet(ctx, "dev", "cfg", 0, Doc(t, "cfg", 1))
	s.CompareAndSet(ctx, "dev", "cfg", 1, Doc(t, "cfg", 2))
	if err := s.Delete(ctx, "dev", "cfg", 1); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("Delete stale: got %v, want ErrConflict", err)
	}
	if err := s.Delete(ctx, "dev", "cfg", 2); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "dev", "cfg"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v", err)
	}
	if v, err := s.CompareAndSet(ctx, "dev", "cfg", 0, Doc(t, "cfg", 3)); err != nil || v != 1 {
		t.Fatalf("re-create after Delete: (%d, %v), want (1, nil)", v, err)
	}
	if err := s.Delete(ctx, "dev", "cfg", 0); err != nil {
		t.Fatalf("Delete any version: %v", err)
	}
}

func testInvalidKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	bad := []struct{ device, name string }{
		{"", "cfg"}, {"a/b", "cfg"}, {"dev", "x/y"}, {"..", "cfg"}, {"dev", ".hidden"},
		{"dev", "_"}, {"dev", "sp ace"}, {string(make([]byte, 129)), "cfg"},
	}
	for _, k := range bad {
		_, err := s.CompareAndSet(ctx, k.device, k.name, 0, Doc(t, "", 1))
		var ke *store.KeyError
		if !errors.As(err, &ke) || !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("CompareAndSet(%q, %q): got %v, want *KeyError", k.device, k.name, err)
		}
		if _, err := s.Get(ctx, k.device, k.name); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%q, %q): got %v, want ErrInvalidKey", k.device, k.name, err)
		}
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []struct{ d, n string }{{"b", "net"}, {"a", "cfg"}, {"b", "cfg"}, {"a", ""}} {
		if _, err := s.CompareAndSet(ctx, k.d, k.n, 0, Doc(t, k.n, 1)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range all {
		got = append(got, r.Device+"/"+r.Name)
	}
	if fmt.Sprint(got) != "[a/ a/cfg b/cfg b/net]" {
		t.Fatalf("List all: %v", got)
	}
	bs, err := s.List(ctx, "b")
	if err != nil || len(bs) != 2 || bs[0].Name != "cfg" || bs[1].Name != "net" {
		t.Fatalf("List b: %+v %v", bs, err)
	}
	if none, err := s.List(ctx, "zzz"); err != nil || len(none) != 0 {
		t.Fatalf("List of an unknown device: %v %v", none, err)
	}
}

// testConcurrent runs writers that each add their increments to reported.n through
// read-modify-CAS-retry. The final n must be the sum (no lost update) and every writer must see
// strictly increasing versions.
func testConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, each = 8, 25
	if _, err := s.CompareAndSet(ctx, "dev", "counter", 0, Doc(t, "counter", 0)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			for i := 0; i < each; i++ {
				for {
					r, err := s.Get(ctx, "dev", "counter")
					if err != nil {
						errs <- err
						return
					}
					if r.Version < last {
						errs <- fmt.Errorf("version went backwards: %d after %d", r.Version, last)
						return
					}
					last = r.Version
					d, err := twin.ParseDocument(r.Doc, twin.Limits{})
					if err != nil {
						errs <- err
						return
					}
					n, _ := d.Reported().Get("n")
					cur, _ := n.AsInt64()
					next := Doc(t, "counter", int(cur)+1)
					v, err := s.CompareAndSet(ctx, "dev", "counter", r.Version, next)
					if errors.Is(err, store.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					if v != r.Version+1 {
						errs <- fmt.Errorf("CAS from %d returned version %d", r.Version, v)
						return
					}
					last = v
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, "dev", "counter")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := twin.ParseDocument(r.Doc, twin.Limits{})
	n, _ := d.Reported().Get("n")
	if got, _ := n.AsInt64(); got != writers*each || r.Version != writers*each+1 {
		t.Fatalf("after %d increments: n=%d version=%d, want n=%d version=%d", writers*each, got, r.Version, writers*each, writers*each+1)
	}
}

// RunQuery runs the fleet-query conformance tests against a Store that is also a Querier.
func RunQuery(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	s := open(t, newStore)
	q, ok := s.(store.Querier)
	if !ok {
		t.Fatalf("%T does not implement store.Querier", s)
	}
	ctx := context.Background()
	put := func(device, name, desired, reported string) {
		var d twin.Document
		d.Name = name
		at := time.UnixMilli(1795586400000)
		if desired != "" {
			if _, err := d.ApplyJSON(twin.Update{Section: twin.Desired, Time: at}, []byte(desired)); err != nil {
				t.Fatal(err)
			}
		}
		if reported != "" {
			if _, err := d.ApplyJSON(twin.Update{Section: twin.Reported, Time: at}, []byte(reported)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CompareAndSet(ctx, device, name, 0, d.AppendJSON(nil)); err != nil {
			t.Fatal(err)
		}
	}
	put("d1", "fw", `{"firmware":{"version":"2.1.0"}}`, `{"firmware":{"version":"2.1.0"},"temp":21.5}`)
	put("d2", "fw", `{"firmware":{"version":"2.1.0"}}`, `{"firmware":{"version":"2.0.0"},"temp":21.50}`)
	put("d3", "fw", `{"firmware":{"version":"2.1.0"}}`, `{"temp":19}`)
	put("d4", "fw", ``, `{"firmware":{"version":"2.1.0"},"tags":["a","b"]}`)
	put("d4", "net", `{"mode":"wifi"}`, ``)
	labels := map[string]map[string]string{"d1": {"site": "berlin"}, "d2": {"site": "paris"}, "d3": {"site": "berlin", "beta": "yes"}}
	labelsOf := func(d string) map[string]string { return labels[d] }
	str := func(s string) twin.Value { return twin.StringOf(s) }
	num := func(s string) twin.Value { v, _ := twin.NumberOf(s); return v }
	rep, des := twin.Reported, twin.Desired
	cases := []struct {
		name string
		q    store.Query
		want string
	}{
		{"all", store.Query{}, "[d1/fw d2/fw d3/fw d4/fw d4/net]"},
		{"by name", store.Query{Name: "net", NameSet: true}, "[d4/net]"},
		{"not on 2.1.0 (absent counts)", store.Query{NameSet: true, Name: "fw", Where: []store.Predicate{{Section: rep, Path: twin.Path{"firmware", "version"}, Op: store.OpNotEqual, Value: str("2.1.0")}}}, "[d2/fw d3/fw]"},
		{"equal", store.Query{Where: []store.Predicate{{Section: rep, Path: twin.Path{"firmware", "version"}, Op: store.OpEqual, Value: str("2.1.0")}}}, "[d1/fw d4/fw]"},
		{"number by value", store.Query{Where: []store.Predicate{{Section: rep, Path: twin.Path{"temp"}, Op: store.OpEqual, Value: num("2.15e1")}}}, "[d1/fw d2/fw]"},
		{"array whole", store.Query{Where: []store.Predicate{{Section: rep, Path: twin.Path{"tags"}, Op: store.OpEqual, Value: twin.ArrayOf(str("a"), str("b"))}}}, "[d4/fw]"},
		{"exists desired", store.Query{Where: []store.Predicate{{Section: des, Path: twin.Path{"firmware"}, Op: store.OpExists}}}, "[d1/fw d2/fw d3/fw]"},
		{"not exists", store.Query{NameSet: true, Name: "fw", Where: []store.Predicate{{Section: rep, Path: twin.Path{"firmware", "version"}, Op: store.OpNotExists}}}, "[d3/fw]"},
		{"string is not number", store.Query{Where: []store.Predicate{{Section: rep, Path: twin.Path{"temp"}, Op: store.OpEqual, Value: str("19")}}}, "[]"},
		{"labels", store.Query{Labels: []store.LabelPredicate{{Key: "site", Op: store.OpEqual, Value: "berlin"}}, LabelsOf: labelsOf}, "[d1/fw d3/fw]"},
		{"labels and state", store.Query{Labels: []store.LabelPredicate{{Key: "beta", Op: store.OpNotExists}}, LabelsOf: labelsOf,
			Where: []store.Predicate{{Section: rep, Path: twin.Path{"firmware", "version"}, Op: store.OpNotEqual, Value: str("2.1.0")}}}, "[d2/fw d4/net]"},
		{"limit", store.Query{Limit: 2}, "[d1/fw d2/fw]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, err := q.Query(ctx, c.q)
			if err != nil {
				t.Fatalf("Query(%s): %v", c.q.String(), err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.Device+"/"+r.Name)
			}
			if s := fmt.Sprint(got); s != c.want {
				t.Fatalf("Query(%s) = %s, want %s", c.q.String(), s, c.want)
			}
		})
	}
	bad := []store.Query{
		{Where: []store.Predicate{{Section: 0, Path: twin.Path{"a"}, Op: store.OpExists}}},
		{Where: []store.Predicate{{Section: rep, Op: store.OpExists}}},
		{Where: []store.Predicate{{Section: rep, Path: twin.Path{"a"}, Op: 0}}},
		{Labels: []store.LabelPredicate{{Key: "k", Op: store.OpExists}}},
		{Limit: -1},
	}
	for i, b := range bad {
		var qe *store.QueryError
		if _, err := q.Query(ctx, b); !errors.As(err, &qe) || !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("bad query %d: got %v, want *QueryError", i, err)
		}
	}
}
