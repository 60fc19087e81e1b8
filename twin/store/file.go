package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// File is a Store keeping one file per twin in a directory, replaced atomically (see the package
// documentation for the format and the crash-safety argument). Open it with OpenFile.
type File struct {
	dir    string
	lock   *os.File
	locks  [64]sync.Mutex // serialise writers per key stripe; readers take no lock
	mu     sync.RWMutex   // guards closed; held shared by every operation
	closed bool
	// NoSync skips the fsyncs (tests and benchmarks of the logic only; not crash-safe).
	noSync bool
}

var _ Store = (*File)(nil)

// FileOptions configure OpenFile. The zero value is the safe default.
type FileOptions struct {
	// NoSync skips fsync of files and directories. Writes stay atomic against a process crash
	// (rename) but not against power loss. Default false.
	NoSync bool
}

const (
	fileExt     = ".twin"
	tmpPrefix   = ".tmp-"
	lockName    = ".lock"
	headerMagic = "fktwin1"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// OpenFile opens (creating if needed) a file store in dir. It takes an exclusive lock on
// dir/.lock (ErrLocked if another store holds it) and removes temporary files a crash left.
func OpenFile(dir string, opts FileOptions) (*File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	lf, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, dir, err)
	}
	f := &File{dir: dir, lock: lf, noSync: opts.NoSync}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: open %s: removing temporary files: %w", dir, err)
	}
	return f, nil
}

func (f *File) path(device, name string) string {
	if name == "" {
		name = unnamed
	}
	return filepath.Join(f.dir, device, name+fileExt)
}

func (f *File) stripe(device, name string) *sync.Mutex {
	h := crc32.ChecksumIEEE([]byte(device + "\x00" + name))
	return &f.locks[h%uint32(len(f.locks))]
}

func (f *File) enter(device, name string) error {
	f.mu.RLock()
	if f.closed {
		f.mu.RUnlock()
		return ErrClosed
	}
	if err := ValidateKey(device, name); err != nil {
		f.mu.RUnlock()
		return err
	}
	return nil
}

// encodeFile returns the file contents: "fktwin1 {version} {len} {crc32c hex}\n" then doc.
func encodeFile(version uint64, doc []byte) []byte {
	b := make([]byte, 0, len(doc)+48)
	b = append(b, headerMagic...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, version, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(doc)), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(crc32.Checksum(doc, castagnoli)), 16)
	b = append(b, '\n')
	return append(b, doc...)
}

// decodeFile checks and splits file contents; the error string says what is wrong.
func decodeFile(b []byte) (uint64, []byte, error) {
	line, doc, ok := bytes.Cut(b, []byte{'\n'})
	if !ok {
		return 0, nil, errors.New("no header line")
	}
	fields := strings.Fields(string(line))
	if len(fields) != 4 || fields[0] != headerMagic {
		return 0, nil, fmt.Errorf("header %q is not %q {version} {length} {crc32c}", line, headerMagic)
	}
	v, err1 := strconv.ParseUint(fields[1], 10, 64)
	n, err2 := strconv.ParseInt(fields[2], 10, 64)
	sum, err3 := strconv.ParseUint(fields[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || v == 0 {
		return 0, nil, fmt.Errorf("header %q has a malformed field", line)
	}
	if int64(len(doc)) != n {
		return 0, nil, fmt.Errorf("document is %d bytes, header says %d (byte offset %d)", len(doc), n, len(line)+1)
	}
	if got := crc32.Checksum(doc, castagnoli); uint64(got) != sum {
		return 0, nil, fmt.Errorf("CRC-32C %08x does not match header %08x", got, sum)
	}
	return v, doc, nil
}

// read returns the version and document of (device, name), 0 and nil if absent. A damaged file
// is quarantined.
func (f *File) read(device, name string) (uint64, []byte, error) {
	p := f.path(device, name)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: read %s: %w", p, err)
	}
	v, doc, err := decodeFile(b)
	if err != nil {
		ce := &CorruptError{Device: device, Name: name, Reason: p + ": " + err.Error()}
		// Move the damaged file aside under the stripe lock, so no writer replaces it meanwhile.
		if rerr := os.Rename(p, p+".corrupt"); rerr == nil {
			ce.Location = p + ".corrupt"
		}
		return 0, nil, ce
	}
	return v, doc, nil
}

// Get returns the record of (device, name). A damaged file is quarantined and reported as
// ErrCorrupt; the twin then reads as absent.
func (f *File) Get(ctx context.Context, device, name string) (Record, error) {
	if err := f.enter(device, name); err != nil {
		return Record{}, err
	}
	defer f.mu.RUnlock()
	v, doc, err := f.read(device, name)
	if err != nil {
		return Record{}, err
	}
	if v == 0 {
		return Record{}, NotFound(device, name)
	}
	return Record{Device: device, Name: name, Version: v, Doc: doc}, nil
}

// CompareAndSet writes doc atomically if the stored version is expected.
func (f *File) CompareAndSet(ctx context.Context, device, name string, expected uint64, doc []byte) (uint64, error) {
	if err := f.enter(device, name); err != nil {
		return 0, err
	}
	defer f.mu.RUnlock()
	l := f.stripe(device, name)
	l.Lock()
	defer l.Unlock()
	cur, _, err := f.read(device, name)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return 0, err
	}
	if err != nil && expected != 0 {
		return 0, err // a corrupt record cannot be compared with; it reads as absent from now on
	}
	if cur != expected {
		return 0, &ConflictError{Device: device, Name: name, Expected: expected, Current: cur}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := f.writeAtomic(device, name, encodeFile(expected+1, doc)); err != nil {
		return 0, err
	}
	return expected + 1, nil
}

func (f *File) writeAtomic(device, name string, data []byte) error {
	final := f.path(device, name)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: write %s: %w", final, err)
	}
	tmp, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("store: write %s: %w", final, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("store: write %s: %w", final, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if !f.noSync {
		if err := tmp.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("store: write %s: %w", final, err)
	}
	if !f.noSync {
		return syncDir(dir)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}

// Delete removes (device, name) if its version is expected (0: any).
func (f *File) Delete(ctx context.Context, device, name string, expected uint64) error {
	if err := f.enter(device, name); err != nil {
		return err
	}
	defer f.mu.RUnlock()
	l := f.stripe(device, name)
	l.Lock()
	defer l.Unlock()
	cur, _, err := f.read(device, name)
	if err != nil {
		return err
	}
	if cur == 0 {
		return NotFound(device, name)
	}
	if expected != 0 && cur != expected {
		return &ConflictError{Device: device, Name: name, Expected: expected, Current: cur}
	}
	p := f.path(device, name)
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("store: delete %s: %w", p, err)
	}
	if !f.noSync {
		return syncDir(filepath.Dir(p))
	}
	return nil
}

// List returns the records of device ("" for all), sorted by device and name. Damaged files met
// on the way are quarantined and the first is reported as ErrCorrupt after the listing.
func (f *File) List(ctx context.Context, device string) ([]Record, error) {
	check := device
	if check == "" {
		check = "d"
	}
	if err := f.enter(check, ""); err != nil {
		return nil, err
	}
	defer f.mu.RUnlock()
	var devices []string
	if device != "" {
		devices = []string{device}
	} else {
		ents, err := os.ReadDir(f.dir)
		if err != nil {
			return nil, fmt.Errorf("store: list %s: %w", f.dir, err)
		}
		for _, e := range ents {
			if e.IsDir() && ValidateKey(e.Name(), "") == nil {
				devices = append(devices, e.Name())
			}
		}
	}
	var out []Record
	var firstErr error
	for _, d := range devices {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ents, err := os.ReadDir(filepath.Join(f.dir, d))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: list %s: %w", d, err)
		}
		for _, e := range ents {
			n, ok := strings.CutSuffix(e.Name(), fileExt)
			if !ok || e.IsDir() {
				continue
			}
			if n == unnamed {
				n = ""
			} else if ValidateKey(d, n) != nil {
				continue
			}
			v, doc, err := f.read(d, n)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if v != 0 {
				out = append(out, Record{Device: d, Name: n, Version: v, Doc: doc})
			}
		}
	}
	sortRecords(out)
	return out, firstErr
}

// Close releases the directory lock. It is idempotent.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	syscall.Flock(int(f.lock.Fd()), syscall.LOCK_UN)
	return f.lock.Close()
}
