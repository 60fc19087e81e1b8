package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fleetkit/fleetkit/twin/store"
)

// Write is one compare-and-set of a batch.
type Write struct {
	Device, Name string
	Expected     uint64 // 0: the twin must not exist
	Doc          []byte
}

// CompareAndSetMany performs many compare-and-sets in one round trip (a pgx pipeline). Each write
// succeeds or fails on its own, exactly as CompareAndSet would: versions[i] is the new version of
// ws[i] when errs[i] is nil. It is for services that flush many twins at once (fleet-wide desired
// changes); the batch is not a transaction.
func (s *Store) CompareAndSetMany(ctx context.Context, ws []Write) (versions []uint64, errs []error) {
	versions = make([]uint64, len(ws))
	errs = make([]error, len(ws))
	if s.pool == nil {
		for i := range errs {
			errs[i] = store.ErrClosed
		}
		return versions, errs
	}
	var b pgx.Batch
	queued := make([]int, 0, len(ws))
	for i, w := range ws {
		if err := store.ValidateKey(w.Device, w.Name); err != nil {
			errs[i] = err
			continue
		}
		if w.Expected >= 1<<63-1 {
			errs[i] = fmt.Errorf("pgstore: expected version %d does not fit a bigint", w.Expected)
			continue
		}
		if w.Expected == 0 {
			b.Queue(`INSERT INTO `+s.table+` (device, name, version, doc, raw) VALUES ($1, $2, 1, $3::jsonb, $4) ON CONFLICT (device, name) DO NOTHING`,
				w.Device, w.Name, string(w.Doc), w.Doc)
		} else {
			b.Queue(`UPDATE `+s.table+` SET version = version + 1, doc = $3::jsonb, raw = $4 WHERE device = $1 AND name = $2 AND version = $5`,
				w.Device, w.Name, string(w.Doc), w.Doc, int64(w.Expected))
		}
		queued = append(queued, i)
	}
	if len(queued) == 0 {
		return versions, errs
	}
	res := s.pool.SendBatch(ctx, &b)
	var lost []int
	for _, i := range queued {
		tag, err := res.Exec()
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("pgstore: write %s/%s: %w", ws[i].Device, ws[i].Name, err)
		case tag.RowsAffected() == 1:
			versions[i] = ws[i].Expected + 1
		default:
			lost = append(lost, i)
		}
	}
	if err := res.Close(); err != nil {
		for _, i := range queued {
			if errs[i] == nil && versions[i] == 0 {
				errs[i] = fmt.Errorf("pgstore: batch: %w", err)
			}
		}
	}
	for _, i := range lost {
		cur, err := s.current(ctx, ws[i].Device, ws[i].Name)
		if err != nil {
			errs[i] = fmt.Errorf("pgstore: write %s/%s: %w", ws[i].Device, ws[i].Name, err)
			continue
		}
		errs[i] = &store.ConflictError{Device: ws[i].Device, Name: ws[i].Name, Expected: ws[i].Expected, Current: cur}
	}
	return versions, errs
}
