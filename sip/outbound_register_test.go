package sip

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func TestGrantedExpiry(t *testing.T) {
	ours := sip.Uri{Scheme: "sip", User: "acd", Host: "192.0.2.1", Port: 5060}
	for _, tc := range []struct {
		name    string
		headers []string // "Name: value"
		want    time.Duration
	}{
		{"contact parameter", []string{"Contact: <sip:acd@192.0.2.1:5060>;expires=120", "Expires: 3600"}, 120 * time.Second},
		{"another binding's parameter is not ours", []string{"Contact: <sip:phone@198.51.100.9:5060>;expires=30", "Contact: <sip:acd@192.0.2.1:5060>;expires=300"}, 300 * time.Second},
		{"Expires header when the contact has none", []string{"Contact: <sip:acd@192.0.2.1:5060>", "Expires: 600"}, 600 * time.Second},
		{"Expires header alone", []string{"Expires: 60"}, time.Minute},
		{"what was asked when nothing says", nil, time.Hour},
		{"removal granted", []string{"Expires: 0"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := sip.NewResponse(200, "OK")
			for _, h := range tc.headers {
				name, value, _ := strings.Cut(h, ": ")
				res.AppendHeader(sip.NewHeader(name, value))
			}
			if got := grantedExpiry(res, ours, time.Hour); got != tc.want {
				t.Fatalf("granted %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRefreshIn(t *testing.T) {
	for granted, want := range map[time.Duration]time.Duration{
		3 * time.Second:  1500 * time.Millisecond, // half, when shorter than a minute
		2 * time.Minute:  time.Minute,
		time.Hour:        59 * time.Minute, // a minute before it ends
		10 * time.Minute: 9 * time.Minute,
	} {
		if got := refreshIn(granted); got != want {
			t.Errorf("refreshIn(%v) = %v, want %v", granted, got, want)
		}
	}
}

// TestBackoff: each wait doubles up to the cap, and is from three
// quarters of it to all of it.
func TestBackoff(t *testing.T) {
	r := &Registration{cfg: RegistrationConfig{RetryMin: 30 * time.Second, RetryMax: 10 * time.Minute}, rnd: rand.New(rand.NewPCG(7, 7))}
	for n, nominal := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute} {
		for range 100 {
			if got := r.backoff(n); got < nominal*3/4 || got > nominal {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, got, nominal*3/4, nominal)
			}
		}
	}
}
