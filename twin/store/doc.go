// Package store keeps twin documents (package twin) behind one small compare-and-set interface,
// with an in-memory implementation ([Memory]) and a crash-safe file implementation ([File]).
// The PostgreSQL implementation lives in the leaf package twin/store/pgstore so that importing
// this package (or twin/cloud) never pulls a database driver; the conformance suite every
// implementation runs is twin/store/storetest.
//
// # Model
//
// A store holds one [Record] per (device, name): the encoded document (the bytes of
// twin.Document.AppendJSON) and a store version. [Store.CompareAndSet] writes a record only when
// the stored version equals the expected one (0 meaning "does not exist yet") and sets the new
// version to expected+1, so the store version moves in lock step with the twin's own version
// when every accepted twin update is one CompareAndSet — which is how twin/cloud uses it. A
// stale expected version fails with [ErrConflict] (a [*ConflictError] with both versions); a
// missing record with [ErrNotFound]. This is the revision-checked write of nats.go's KV and of
// every twin service: readers never lock, writers read-modify-CAS-retry.
//
// Deleting a record removes it; a later create starts again at version 1 (the document starts
// again at version 0, as a fresh twin). Devices and cloud subscribers that track versions treat
// a delete as the end of the twin's history.
//
// Keys are validated ([ValidateKey]): device and name are 1 to 128 bytes of ASCII letters,
// digits and -_.:@, not starting with '.', so that a key is one MQTT topic level, one file name
// and one SQL text value without escaping. The empty name is allowed for the classic
// (unnamed) twin and is stored as "_".
//
// # Fleet query
//
// [Querier] (implemented by [Memory] and pgstore, not by [File]) finds twins by predicates on
// desired and reported paths — equality, inequality and existence — and on device labels that
// the caller passes in (labels belong to the device registry, not to the twin). All predicates
// must hold. [OpNotEqual] matches a twin whose path is absent or holds a different value (the
// "every device not on firmware 2.1.0" question includes devices that never reported one);
// numbers compare by value (21.5 equals 21.50), arrays and objects compare whole.
//
// # File store engine
//
// [File] stores each twin as one file, dir/{device}/{name}.twin, replaced atomically: write a
// temporary file in the same directory, fsync it, rename it over the old file, fsync the
// directory. rename(2) is atomic on POSIX file systems, so after a kill -9 or power loss a reader
// finds either the old or the new complete file, never a torn one. Each file starts with a
// header line carrying the version, the length and a CRC-32C of the document, so a file damaged
// by something else (a disk error, a manual edit) is detected, moved aside as
// {name}.twin.corrupt (quarantined, not silently dropped) and reported as [ErrCorrupt].
// Leftover temporary files from a crash are removed by [OpenFile].
//
// Why not an embedded database (bbolt, SQLite, Badger)? Twins are independent small documents
// written by compare-and-set one at a time: there are no multi-key transactions to protect, so
// a write-ahead log buys nothing that rename does not, and a file per twin adds no dependency,
// no compaction and stays inspectable with cat. The cost is one fsync pair per write (see the
// benchmarks) and one inode per twin; fleets beyond a few million twins, or needing queries,
// belong in PostgreSQL (pgstore). One process owns a directory: [OpenFile] takes an exclusive
// lock file and fails with [ErrLocked] if another store holds it.
//
// # Errors
//
// Test with errors.Is: [ErrNotFound], [ErrConflict], [ErrInvalidKey], [ErrCorrupt], [ErrLocked],
// [ErrClosed], [ErrInvalidQuery]. Detail with errors.As: [*ConflictError], [*KeyError],
// [*CorruptError], [*QueryError].
package store
