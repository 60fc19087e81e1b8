//go:build unix

package queue

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock (flock) on dir/LOCK. The lock is
// released by the kernel when the process dies, so kill -9 leaves no stale
// lock.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrLocked, path, err)
	}
	return f, nil
}
