package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// waitingCenter is a distributor with one queue's waiting list.
type waitingCenter struct {
	service.Distributor // the rest is never called
	list                []acd.WaitingCaller
}

func (c *waitingCenter) Waiting(string) ([]acd.WaitingCaller, error) { return c.list, nil }

// awkwardWaiting is a waiting list with what JSON must escape or keep: a
// quote and a backslash in a Call-ID, control characters, HTML, invalid
// UTF-8, line and paragraph separators, non-Latin scripts and emoji,
// empty fields, a callback request, a caller being rung, and join times
// with and without nanoseconds, in UTC and not.
func awkwardWaiting(now time.Time) []acd.WaitingCaller {
	paris := time.FixedZone("CET", 3600)
	w := func(id, number string, joined time.Time, callback, ringing bool) acd.WaitingCaller {
		return acd.WaitingCaller{Waiter: &acd.Waiter{CallID: id, Caller: number, Joined: joined, Callback: callback}, Ringing: ringing}
	}
	return []acd.WaitingCaller{
		w("a84b4c76e66710@pc33.example.com", "+14155550123", now.Add(-2*time.Hour-500*time.Millisecond), false, false),
		w(`quote"back\slash`, "<script>&amp;</script>", now.Add(-90*time.Second), false, true),
		w("callback-17", "+33142685300", now.Add(-45*time.Minute).In(paris), true, false),
		w("", "", now.Add(-time.Nanosecond), false, false),
		w("tab\tnl\ncr\rbs\bff\fnul\x00esc\x1bdel\x7f", "Zoë 山田 Ünal 🎧", now, true, true),
		w("bad\xff\xfeutf8\xc3", "line\u2028para\u2029", now.Add(time.Second), false, false), // joined a moment after now: a clock step
		w(strings.Repeat("x", 300), "0", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), false, false),
	}
}

// oldWaitingJSON is the waiting list's answer as encoding/json writes it,
// through huma's JSON format, from the value the service builds.
func oldWaitingJSON(t *testing.T, svc *service.Service, a *service.Actor, queue string) []byte {
	t.Helper()
	w, err := svc.Waiting(a, queue)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	body := struct {
		Queue   string                  `json:"queue"`
		Waiting []service.WaitingCaller `json:"waiting"`
	}{queue, w}
	if err := huma.DefaultJSONFormat.Marshal(&out, body); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestWaitingListEncodedAsEncodingJSON: the waiting list's answer, written
// by hand from the kept encodings of its places, is byte for byte what
// encoding/json made of it, for awkward values, on a first read (nothing
// kept yet) and on later ones (waits grown, a ring over), and for an
// empty list.
func TestWaitingListEncodedAsEncodingJSON(t *testing.T) {
	now := time.Date(2026, 12, 7, 21, 30, 0, 123456789, time.UTC)
	center := &waitingCenter{}
	svc := service.New(service.Config{Distributor: center, Queues: []service.Queue{{ID: "support"}, {ID: "é\"q"}}, Now: func() time.Time { return now }})
	_, s := newTestServer(t)
	admin := &service.Actor{UserID: "root", Role: directory.Administrator}

	read := func(queue string) []byte {
		t.Helper()
		l, err := svc.WaitingList(admin, queue)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		// The format Mount installed, as huma calls it for the answer.
		if err := s.api.Marshal(&out, "application/json", waitingOutBody{Queue: queue, list: l}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	check := func(name, queue string) {
		t.Helper()
		want, got := oldWaitingJSON(t, svc, admin, queue), read(queue)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("%s: not JSON: %s", name, got)
		}
	}

	check("empty list", "support")
	center.list = awkwardWaiting(now)
	check("first read", "support")
	check("queue name to escape", "é\"q")
	now = now.Add(61*time.Second + 700*time.Millisecond)
	center.list[1].Ringing = false
	center.list[3].Ringing = true
	check("a minute later, kept encodings", "support")
	for i, w := range center.list {
		if _, err := w.Encoded(func(*acd.Waiter) ([]byte, error) { panic("encoded again") }); err != nil {
			t.Fatalf("place %d: %v", i, err)
		}
	}
}

// TestWaitingListJoinTimeOutOfRange: a join time JSON cannot hold fails
// the answer, as encoding/json fails it, rather than writing a bad one.
func TestWaitingListJoinTimeOutOfRange(t *testing.T) {
	center := &waitingCenter{list: []acd.WaitingCaller{{Waiter: &acd.Waiter{CallID: "c1", Joined: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}}
	svc := service.New(service.Config{Distributor: center, Queues: []service.Queue{{ID: "support"}}})
	admin := &service.Actor{UserID: "root", Role: directory.Administrator}
	l, err := svc.WaitingList(admin, "support")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (waitingOutBody{Queue: "support", list: l}).appendJSON(nil); err == nil {
		t.Fatal("year 10000 encoded")
	}
	w, err := svc.Waiting(admin, "support")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(w); err == nil {
		t.Fatal("encoding/json encodes year 10000: the two differ")
	}
}

// FuzzJSONString: any string is written as encoding/json writes it with
// HTML escaping off.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", `"\`, "\x00\x1f\x7f", "\u2028\u2029", "\xff", "\xe2\x80", "é山🎧", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("%q: got %s, want %s", s, got, want.Bytes())
		}
	})
}

// BenchmarkWaitingListAnswer measures the answer's encoding for 5 000
// callers: by hand from the kept encodings, and as encoding/json wrote
// it before.
func BenchmarkWaitingListAnswer(b *testing.B) {
	now := time.Now()
	list := make([]acd.WaitingCaller, 5000)
	for i := range list {
		list[i] = acd.WaitingCaller{Waiter: &acd.Waiter{CallID: fmt.Sprintf("%d-a84b4c76e66710@127.0.0.1", i), Caller: "+14155550123",
			Joined: now.Add(-time.Duration(5000-i) * 10 * time.Millisecond)}}
	}
	svc := service.New(service.Config{Distributor: &waitingCenter{list: list}, Queues: []service.Queue{{ID: "bench"}}})
	admin := &service.Actor{UserID: "root", Role: directory.Administrator}
	var bufs sync.Pool
	format := jsonFormat(&bufs)
	b.Run("appended", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l, err := svc.WaitingList(admin, "bench")
			if err != nil {
				b.Fatal(err)
			}
			if err := format.Marshal(io.Discard, waitingOutBody{Queue: "bench", list: l}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w, err := svc.Waiting(admin, "bench")
			if err != nil {
				b.Fatal(err)
			}
			body := struct {
				Queue   string                  `json:"queue"`
				Waiting []service.WaitingCaller `json:"waiting"`
			}{"bench", w}
			if err := huma.DefaultJSONFormat.Marshal(io.Discard, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
