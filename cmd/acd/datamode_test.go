package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDataDirectoryIsOwnerOnly: the server creates its data directory and
// database readable by its own user only (the database holds password
// hashes), whatever the umask it was started with.
func TestDataDirectoryIsOwnerOnly(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	startAcd(t, "-data", data)
	want := map[string]os.FileMode{data: 0o700, filepath.Join(data, "acd.db"): 0o600,
		filepath.Join(data, "acd.db-wal"): 0o600, filepath.Join(data, "acd.db-shm"): 0o600}
	for p, mode := range want {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != mode {
			t.Errorf("%s has mode %v; want %v", p, got, mode)
		}
	}
}
