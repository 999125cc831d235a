package store

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Versions are numbered per message, the last stored is in force, any
// can be read back, and deleting a message takes its versions; the names
// can be read without opening the database for writing.
func TestRecordedMessages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "acd.db")
	if names, err := RecordedMessageNames(ctx, path); err != nil || names != nil {
		t.Fatalf("no database: %v %v", names, err)
	}
	l, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if names, err := RecordedMessageNames(ctx, path); err != nil || names != nil {
		t.Fatalf("a database without the table: %v %v", names, err)
	}
	r, err := OpenRecordedMessages(l)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i, m := range []struct {
		name string
		pcm  []byte
		want int
	}{{"hello", []byte{1, 0, 2, 0}, 1}, {"bye", []byte{9, 0}, 1}, {"hello", []byte{3, 0, 4, 0, 5, 0}, 2}} {
		v, err := r.AddRecordedVersion(ctx, m.name, m.pcm, RecordedVersion{Source: "upload", CreatedBy: "root", Created: at.Add(time.Duration(i) * time.Minute)})
		if err != nil || v != m.want {
			t.Fatalf("storing %s: version %d, %v; want %d", m.name, v, err, m.want)
		}
	}
	list, err := r.RecordedMessages(ctx)
	if err != nil || len(list) != 2 || list[1].Name != "hello" || list[1].Current != 2 || len(list[1].Versions) != 2 || list[1].Versions[1].Samples != 3 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if pcm, v, err := r.RecordedAudio(ctx, "hello", 0); err != nil || v != 2 || len(pcm) != 6 {
		t.Errorf("the version in force: %d %v %v", v, pcm, err)
	}
	if pcm, v, err := r.RecordedAudio(ctx, "hello", 1); err != nil || v != 1 || len(pcm) != 4 {
		t.Errorf("version 1: %d %v %v", v, pcm, err)
	}
	if _, _, err := r.RecordedAudio(ctx, "hello", 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("a version that does not exist: %v", err)
	}
	if names, err := RecordedMessageNames(ctx, path); err != nil || !slices.Equal(names, []string{"bye", "hello"}) {
		t.Errorf("names read beside the open database: %v %v", names, err)
	}
	if err := r.DeleteRecordedMessage(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteRecordedMessage(ctx, "hello"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	var left int
	l.db.QueryRow(`SELECT COUNT(*) FROM recorded_message_versions WHERE name = 'hello'`).Scan(&left)
	if left != 0 {
		t.Errorf("%d versions left of a deleted message", left)
	}
}
