package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DirLock holds a data directory for one server. Two servers on one
// directory would each number events from their own count and dial the
// same callback requests twice.
type DirLock struct{ f *os.File }

// ErrDirInUse means another server holds the data directory.
var ErrDirInUse = errors.New("data directory in use by another acd")

// LockDir takes dir for this process, or fails at once with ErrDirInUse
// naming the holder's PID. The lock is the kernel's (flock), so it goes
// with the process however it ends; the file only says who held it.
func LockDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, "acd.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (held by pid %s); stop that server or give this one another -data directory",
				ErrDirInUse, dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("locking the data directory: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// Unlock gives the directory back.
func (l *DirLock) Unlock() error { return l.f.Close() }
