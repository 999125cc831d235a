// Package ratelog writes warnings at a bounded rate: a flood of bad
// packets or refused requests must not become a flood of log lines.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// Limited writes at most one line per Interval and counts the rest,
// which the next line written reports as suppressed_since_last.
type Limited struct {
	Log      *slog.Logger
	Interval time.Duration

	mu         sync.Mutex // guards last and suppressed
	last       time.Time
	suppressed int
}

// Warn writes msg at warning level, unless a line went out less than
// Interval ago.
func (l *Limited) Warn(msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.last) < l.Interval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed_since_last", n)
	}
	l.Log.Warn(msg, args...)
}
