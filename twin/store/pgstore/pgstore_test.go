package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/twin/store"
	"github.com/fleetkit/fleetkit/twin/store/pgstore"
	"github.com/fleetkit/fleetkit/twin/store/storetest"
)

// pgURL is the database the tests use: $FLEETKIT_PG_URL, else the local trust-auth server.
func pgURL() []string {
	if u := os.Getenv("FLEETKIT_PG_URL"); u != "" {
		return []string{u}
	}
	return []string{
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
	}
}

var tableSeq atomic.Int64

// open returns a store on a fresh table, dropped at the end of the test. Without PostgreSQL the
// test fails when CI=true and is skipped otherwise.
func open(t testing.TB) *pgstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	table := fmt.Sprintf("fk_twins_test_%d_%d", os.Getpid(), tableSeq.Add(1))
	var errs []error
	for _, u := range pgURL() {
		s, err := pgstore.Open(ctx, u, pgstore.Options{Table: table})
		if err == nil {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				s2, err := pgstore.Open(ctx, u, pgstore.Options{Table: table})
				if err == nil {
					s2.DropTable(ctx)
					s2.Close()
				}
			})
			return s
		}
		errs = append(errs, err)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostgreSQL unreachable (CI=true, so this fails): %v", errs)
	}
	t.Skipf("PostgreSQL unreachable: %v", errs)
	return nil
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestQuery(t *testing.T) {
	storetest.RunQuery(t, func(t *testing.T) store.Store { return open(t) })
}

func TestBadTable(t *testing.T) {
	if _, err := pgstore.Open(context.Background(), pgURL()[0], pgstore.Options{Table: "x; DROP TABLE y"}); err == nil {
		t.Fatal("Open accepted an SQL-injecting table name")
	}
}

// BenchmarkCAS measures single-row compare-and-set updates (one round trip each).
func BenchmarkCAS(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	doc := storetest.Doc(b, "cfg", 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.CompareAndSet(ctx, "dev", "cfg", uint64(i), doc); err != nil {
			b.Fatal(err)
		}
	}
}
