package acd

import (
	"testing"
	"time"
)

func TestOfferCallbackRule(t *testing.T) {
	base := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	threshold := 2 * time.Minute
	tests := []struct {
		name      string
		waits     []time.Duration // callers who left, one a minute, ending at base
		now       time.Time
		available bool
		want      bool
	}{
		{"no calls in the window", nil, base, false, false},
		{"average below the threshold", []time.Duration{time.Minute, 2 * time.Minute}, base, false, false},
		{"exactly at the threshold is not above it", []time.Duration{time.Minute, 3 * time.Minute}, base, false, false},
		{"above the threshold", []time.Duration{2 * time.Minute, 3 * time.Minute}, base, false, true},
		{"above, but an agent is available", []time.Duration{5 * time.Minute}, base, true, false},
		{"long waits that left over 15 minutes ago no longer count", []time.Duration{10 * time.Minute}, base.Add(15*time.Minute + time.Second), false, false},
		{"still inside the window at 15 minutes", []time.Duration{10 * time.Minute}, base.Add(15 * time.Minute), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w waitWindow
			for i, d := range tt.waits {
				w.add(base.Add(time.Duration(i-len(tt.waits)+1)*time.Minute), d)
			}
			if got := offerCallback(&w, tt.now, threshold, tt.available); got != tt.want {
				t.Fatalf("offer = %v, want %v", got, tt.want)
			}
		})
	}
}
