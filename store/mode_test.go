package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDatabaseFilesAreOwnerOnly: the database holds password hashes, so
// it and its -wal and -shm files are readable by the server's user only,
// under a permissive umask too, and a file an older version left wider is
// narrowed when opened.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, existing := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "acd.db")
		if existing {
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		l, err := Open(path, slog.Default())
		if err != nil {
			t.Fatal(err)
		}
		l.Append(Event{Type: "test"})
		if err := l.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if mode := st.Mode().Perm(); mode != 0o600 {
				t.Errorf("existing=%v: %s has mode %v; want -rw-------", existing, filepath.Base(p), mode)
			}
		}
		l.Close()
	}
}
