//go:build !unix

package queue

import "os"

// lockDir opens dir/LOCK. On non-Unix systems no advisory lock is taken: the
// caller must not open one directory twice.
func lockDir(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
}
