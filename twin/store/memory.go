package store

import (
	"context"
	"hash/maphash"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/fleetkit/fleetkit/twin"
)

// Memory is an in-memory Store and Querier: a map sharded over 64 mutexes. The zero value is not
// usable; call NewMemory. Documents are copied in and out, so callers may reuse their buffers.
type Memory struct {
	seed   maphash.Seed
	shards [64]memShard
	limits twin.Limits
	closed atomic.Bool
}

type memShard struct {
	mu   sync.RWMutex
	recs map[memKey]*memRec
}

type memKey struct{ device, name string }

type memRec struct {
	version uint64
	doc     []byte
}

// NewMemory returns an empty memory store. lim are the limits Query parses documents with
// (zero: the twin defaults).
func NewMemory(lim twin.Limits) *Memory {
	m := &Memory{seed: maphash.MakeSeed(), limits: lim}
	for i := range m.shards {
		m.shards[i].recs = make(map[memKey]*memRec)
	}
	return m
}

var (
	_ Store   = (*Memory)(nil)
	_ Querier = (*Memory)(nil)
)

func (m *Memory) shard(device, name string) *memShard {
	var h maphash.Hash
	h.SetSeed(m.seed)
	h.WriteString(device)
	h.WriteByte(0)
	h.WriteString(name)
	return &m.shards[h.Sum64()%uint64(len(m.shards))]
}

func (m *Memory) check(device, name string) error {
	if m.closed.Load() {
		return ErrClosed
	}
	return ValidateKey(device, name)
}

// Get returns the record of (device, name).
func (m *Memory) Get(ctx context.Context, device, name string) (Record, error) {
	if err := m.check(device, name); err != nil {
		return Record{}, err
	}
	s := m.shard(device, name)
	s.mu.RLock()
	r, ok := s.recs[memKey{device, name}]
	var rec Record
	if ok {
		rec = Record{Device: device, Name: name, Version: r.version, Doc: append([]byte(nil), r.doc...)}
	}
	s.mu.RUnlock()
	if !ok {
		return Record{}, NotFound(device, name)
	}
	return rec, nil
}

// CompareAndSet stores doc if the stored version is expected.
func (m *Memory) CompareAndSet(ctx context.Context, device, name string, expected uint64, doc []byte) (uint64, error) {
	if err := m.check(device, name); err != nil {
		return 0, err
	}
	cp := append([]byte(nil), doc...)
	s := m.shard(device, name)
	k := memKey{device, name}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[k]
	var cur uint64
	if ok {
		cur = r.version
	}
	if cur != expected {
		return 0, &ConflictError{Device: device, Name: name, Expected: expected, Current: cur}
	}
	if !ok {
		s.recs[k] = &memRec{version: 1, doc: cp}
		return 1, nil
	}
	r.version++
	r.doc = cp
	return r.version, nil
}

// Delete removes (device, name) if its version is expected (0: any).
func (m *Memory) Delete(ctx context.Context, device, name string, expected uint64) error {
	if err := m.check(device, name); err != nil {
		return err
	}
	s := m.shard(device, name)
	k := memKey{device, name}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[k]
	if !ok {
		return NotFound(device, name)
	}
	if expected != 0 && r.version != expected {
		return &ConflictError{Device: device, Name: name, Expected: expected, Current: r.version}
	}
	delete(s.recs, k)
	return nil
}

// List returns the records of device ("" for all), sorted by device and name.
func (m *Memory) List(ctx context.Context, device string) ([]Record, error) {
	if device != "" {
		if err := m.check(device, ""); err != nil {
			return nil, err
		}
	} else if err := m.check("d", ""); err != nil {
		return nil, err
	}
	var out []Record
	for i := range m.shards {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := &m.shards[i]
		s.mu.RLock()
		for k, r := range s.recs {
			if device == "" || k.device == device {
				out = append(out, Record{Device: k.device, Name: k.name, Version: r.version, Doc: append([]byte(nil), r.doc...)})
			}
		}
		s.mu.RUnlock()
	}
	sortRecords(out)
	return out, nil
}

// Query returns the records matching q. Each stored document is parsed and tested; a document
// that no longer parses is reported as ErrCorrupt.
func (m *Memory) Query(ctx context.Context, q Query) ([]Record, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	all, err := m.List(ctx, "")
	if err != nil {
		return nil, err
	}
	return filterRecords(all, &q, m.limits)
}

// filterRecords applies q to records sorted by device and name.
func filterRecords(all []Record, q *Query, lim twin.Limits) ([]Record, error) {
	out := all[:0]
	labels := map[string]map[string]string{}
	for _, r := range all {
		if q.NameSet && r.Name != q.Name {
			continue
		}
		if len(q.Labels) > 0 {
			l, ok := labels[r.Device]
			if !ok {
				l = q.LabelsOf(r.Device)
				labels[r.Device] = l
			}
			if !q.MatchLabels(l) {
				continue
			}
		}
		if len(q.Where) > 0 {
			doc, err := twin.ParseDocument(r.Doc, lim)
			if err != nil {
				return nil, &CorruptError{Device: r.Device, Name: r.Name, Reason: err.Error()}
			}
			if !q.MatchState(doc) {
				continue
			}
		}
		out = append(out, r)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func sortRecords(rs []Record) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Device != rs[j].Device {
			return rs[i].Device < rs[j].Device
		}
		return rs[i].Name < rs[j].Name
	})
}

// Close marks the store closed and drops its records.
func (m *Memory) Close() error {
	m.closed.Store(true)
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		s.recs = make(map[memKey]*memRec)
		s.mu.Unlock()
	}
	return nil
}
