package config

import (
	"strings"
	"testing"
	"time"
)

// TestRecordingSettings: a queue's recording mode and the recordings'
// retention are read, defaulted, and refused at their FILE:LINE.
func TestRecordingSettings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		yaml      string
		mode      RecordingMode
		retention time.Duration
		err       string
	}{
		{"defaults", "queues:\n  q: {}\n", RecordNever, DefaultRetention, ""},
		{"always", "queues:\n  q:\n    recording: always\nrecordings:\n  retention: 30d\n", RecordAlways, 30 * 24 * time.Hour, ""},
		{"on demand, kept", "queues:\n  q:\n    recording: on_demand\nrecordings:\n  retention: 0\n", RecordOnDemand, 0, ""},
		{"hours", "queues:\n  q: {}\nrecordings:\n  retention: 720h\n", RecordNever, 720 * time.Hour, ""},
		{"bad mode", "queues:\n  q:\n    recording: sometimes\n", "", 0, `t.yaml:3: queues.q.recording: "sometimes": want never, always or on_demand`},
		{"bad retention", "queues:\n  q: {}\nrecordings:\n  retention: soon\n", "", 0, `t.yaml:4: recordings.retention: "soon" is not a duration`},
		{"bad days", "queues:\n  q: {}\nrecordings:\n  retention: -3d\n", "", 0, `t.yaml:4: recordings.retention: "-3d": want a whole number of days`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Queues["q"].Recording.Mode(); got != tc.mode {
				t.Errorf("mode %q, want %q", got, tc.mode)
			}
			if got := c.Recordings.RetentionOf(); got != tc.retention {
				t.Errorf("retention %v, want %v", got, tc.retention)
			}
		})
	}
}
