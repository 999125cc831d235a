package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLimited(t *testing.T) {
	var out bytes.Buffer
	l := &Limited{Log: slog.New(slog.NewTextHandler(&out, nil)), Interval: time.Hour}
	for range 3 {
		l.Warn("refused")
	}
	if n := strings.Count(out.String(), "refused"); n != 1 {
		t.Fatalf("%d lines within the interval, want 1:\n%s", n, out.String())
	}
	l.mu.Lock()
	l.last = time.Time{} // the interval is over
	l.mu.Unlock()
	l.Warn("refused")
	if !strings.Contains(out.String(), "suppressed_since_last=2") {
		t.Fatalf("the next line does not count the two left out:\n%s", out.String())
	}
}
