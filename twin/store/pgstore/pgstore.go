// Package pgstore is the PostgreSQL implementation of twin/store's Store and Querier, kept in
// its own leaf package so that only programs that import it link a database driver
// (github.com/jackc/pgx/v5).
//
// # Table
//
// One table (default fleetkit_twins, Options.Table) holds one row per twin:
//
//	device text, name text, version bigint, doc jsonb, raw bytea, PRIMARY KEY (device, name)
//
// raw is the document exactly as written (twin.Document.AppendJSON), returned by Get and List so
// that a document round-trips byte for byte (jsonb reorders keys and rewrites numbers); doc is
// the same document as jsonb, for fleet queries. PostgreSQL's jsonb cannot hold the character
// U+0000, so a document containing "\u0000" in a string fails to store (with PostgreSQL's error).
//
// # Compare-and-set
//
// Create is INSERT ... ON CONFLICT DO NOTHING; update is UPDATE ... SET version = version + 1
// WHERE device = $1 AND name = $2 AND version = $3. Zero rows affected means the stored version
// differs: the current version is read and returned in a store.ConflictError. Each statement is
// atomic on its own, so no explicit transaction is needed and concurrent writers serialise on
// the row lock.
//
// # Fleet query
//
// Predicates on desired and reported paths compile to SQL on the jsonb column: equality is
// doc #> path = value (jsonb equality: numbers by value, arrays and objects whole), inequality
// IS DISTINCT FROM (an absent path matches), existence IS [NOT] NULL. Values travel as
// parameters, never spliced into the SQL. Label predicates are evaluated in Go on the rows
// returned, with the labels the caller passes in (Query.LabelsOf).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
)

// Options configure Open. The zero value works.
type Options struct {
	// Table is the table name (default "fleetkit_twins"): letters, digits and underscores,
	// optionally schema-qualified ("iot.twins").
	Table string
	// Limits are the limits Query parses documents with when it filters labels (zero: defaults).
	Limits twin.Limits
}

// Store is a PostgreSQL twin store. It is safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	table string
	lim   twin.Limits
}

var (
	_ store.Store   = (*Store)(nil)
	_ store.Querier = (*Store)(nil)
)

var tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// Open connects to PostgreSQL at url (e.g. "postgres://postgres@127.0.0.1:5432/test") and
// creates the table if it does not exist.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Table == "" {
		opts.Table = "fleetkit_twins"
	}
	if !tableName.MatchString(opts.Table) {
		return nil, fmt.Errorf("pgstore: Options.Table %q: want letters, digits and underscores, optionally schema.table", opts.Table)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool, table: opts.Table, lim: opts.Limits}
	_, err = pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.table+` (
		device text NOT NULL,
		name text NOT NULL,
		version bigint NOT NULL CHECK (version > 0),
		doc jsonb NOT NULL,
		raw bytea NOT NULL,
		PRIMARY KEY (device, name))`)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: create table %s: %w", s.table, err)
	}
	return s, nil
}

// DropTable drops the store's table (for tests and teardown).
func (s *Store) DropTable(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `DROP TABLE IF EXISTS `+s.table)
	return err
}

func (s *Store) check(device, name string) error {
	if s.pool == nil {
		return store.ErrClosed
	}
	return store.ValidateKey(device, name)
}

// Get returns the record of (device, name).
func (s *Store) Get(ctx context.Context, device, name string) (store.Record, error) {
	if err := s.check(device, name); err != nil {
		return store.Record{}, err
	}
	r := store.Record{Device: device, Name: name}
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version, raw FROM `+s.table+` WHERE device = $1 AND name = $2`, device, name).Scan(&v, &r.Doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, store.NotFound(device, name)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("pgstore: get %s/%s: %w", device, name, err)
	}
	r.Version = uint64(v)
	return r, nil
}

func (s *Store) current(ctx context.Context, device, name string) (uint64, error) {
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT version FROM `+s.table+` WHERE device = $1 AND name = $2`, device, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(v), err
}

// CompareAndSet stores doc if the stored version is expected (0: absent).
func (s *Store) CompareAndSet(ctx context.Context, device, name string, expected uint64, doc []byte) (uint64, error) {
	if err := s.check(device, name); err != nil {
		return 0, err
	}
	if expected >= 1<<63-1 {
		return 0, fmt.Errorf("pgstore: expected version %d does not fit a bigint", expected)
	}
	var sql string
	args := []any{device, name, string(doc), doc}
	if expected == 0 {
		sql = `INSERT INTO ` + s.table + ` (device, name, version, doc, raw) VALUES ($1, $2, 1, $3::jsonb, $4) ON CONFLICT (device, name) DO NOTHING`
	} else {
		sql = `UPDATE ` + s.table + ` SET version = version + 1, doc = $3::jsonb, raw = $4 WHERE device = $1 AND name = $2 AND version = $5`
		args = append(args, int64(expected))
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("pgstore: write %s/%s: %w", device, name, err)
	}
	if tag.RowsAffected() == 1 {
		return expected + 1, nil
	}
	cur, err := s.current(ctx, device, name)
	if err != nil {
		return 0, fmt.Errorf("pgstore: write %s/%s: %w", device, name, err)
	}
	return 0, &store.ConflictError{Device: device, Name: name, Expected: expected, Current: cur}
}

// Delete removes (device, name) if its version is expected (0: any).
func (s *Store) Delete(ctx context.Context, device, name string, expected uint64) error {
	if err := s.check(device, name); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+s.table+` WHERE device = $1 AND name = $2 AND ($3 = 0 OR version = $3)`, device, name, int64(expected))
	if err != nil {
		return fmt.Errorf("pgstore: delete %s/%s: %w", device, name, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	cur, err := s.current(ctx, device, name)
	if err != nil {
		return fmt.Errorf("pgstore: delete %s/%s: %w", device, name, err)
	}
	if cur == 0 {
		return store.NotFound(device, name)
	}
	return &store.ConflictError{Device: device, Name: name, Expected: expected, Current: cur}
}

// List returns the records of device ("" for all), sorted by device and name.
func (s *Store) List(ctx context.Context, device string) ([]store.Record, error) {
	check := device
	if check == "" {
		check = "d"
	}
	if err := s.check(check, ""); err != nil {
		return nil, err
	}
	sql := `SELECT device, name, version, raw FROM ` + s.table
	var args []any
	if device != "" {
		sql += ` WHERE device = $1`
		args = append(args, device)
	}
	return s.rows(ctx, sql+` ORDER BY device COLLATE "C", name COLLATE "C"`, args...)
}

func (s *Store) rows(ctx context.Context, sql string, args ...any) ([]store.Record, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: query: %w", err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		var r store.Record
		var v int64
		if err := rows.Scan(&r.Device, &r.Name, &v, &r.Doc); err != nil {
			return nil, fmt.Errorf("pgstore: query: %w", err)
		}
		r.Version = uint64(v)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: query: %w", err)
	}
	return out, nil
}

// Query returns the records matching q, sorted by device and name. State predicates run in
// PostgreSQL; label predicates in Go.
func (s *Store) Query(ctx context.Context, q store.Query) ([]store.Record, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if s.pool == nil {
		return nil, store.ErrClosed
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.NameSet {
		where = append(where, "name = "+arg(q.Name))
	}
	for _, p := range q.Where {
		path := append([]string{"state", p.Section.String()}, p.Path...)
		expr := "(doc #> " + arg(path) + "::text[])"
		switch p.Op {
		case store.OpEqual:
			where = append(where, expr+" = "+arg(p.Value.String())+"::jsonb")
		case store.OpNotEqual:
			where = append(where, expr+" IS DISTINCT FROM "+arg(p.Value.String())+"::jsonb")
		case store.OpExists:
			where = append(where, expr+" IS NOT NULL")
		case store.OpNotExists:
			where = append(where, expr+" IS NULL")
		}
	}
	sql := `SELECT device, name, version, raw FROM ` + s.table
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY device COLLATE "C", name COLLATE "C"`
	if q.Limit > 0 && len(q.Labels) == 0 {
		sql += " LIMIT " + arg(q.Limit)
	}
	recs, err := s.rows(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	if len(q.Labels) == 0 {
		return recs, nil
	}
	out := recs[:0]
	labels := map[string]map[string]string{}
	for _, r := range recs {
		l, ok := labels[r.Device]
		if !ok {
			l = q.LabelsOf(r.Device)
			labels[r.Device] = l
		}
		if q.MatchLabels(l) {
			out = append(out, r)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
	}
	return out, nil
}

// Close closes the connection pool. Later calls fail with store.ErrClosed. Call it once no other
// method is running (it is not synchronised with them).
func (s *Store) Close() error {
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
	return nil
}
