package service

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// defaultStreamsPerUser: a user with a few tabs open and a client or two;
// a refused stream may retry once another has closed.
const (
	defaultStreamsPerUser = 8
	streamRetry           = 5 * time.Second
)

// streams counts the live streams (the API's event stream, the consoles'
// live pages) each user holds open, which each cost a connection and a
// reader of the log; and it numbers revocations, so that streams know to
// check their credentials again at once rather than on their next round.
type streams struct {
	perUser int

	mu   sync.Mutex // guards open
	open map[string]int

	revocations atomic.Uint64
}

func newStreams(perUser int) *streams {
	if perUser <= 0 {
		perUser = defaultStreamsPerUser
	}
	return &streams{perUser: perUser, open: map[string]int{}}
}

// OpenStream reserves one of the user's live streams; the returned
// function gives it back, and must be called once the stream ends. Past
// the cap it refuses (Throttled: 429).
func (s *Service) OpenStream(a *Actor) (release func(), err error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	st := s.streams
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.open[a.UserID] >= st.perUser {
		return nil, &Error{Kind: Throttled, RetryAfter: streamRetry,
			Msg: "too many live streams open for this user (at most " + strconv.Itoa(st.perUser) + "): close another page or client and retry"}
	}
	st.open[a.UserID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			st.mu.Lock()
			defer st.mu.Unlock()
			if st.open[a.UserID]--; st.open[a.UserID] <= 0 {
				delete(st.open, a.UserID)
			}
		})
	}, nil
}

// Revocations counts the sessions and tokens ended, users changed or
// deleted so far: a stream whose count has moved checks its credentials.
func (s *Service) Revocations() uint64 { return s.streams.revocations.Load() }

// revoked notes that some credentials may no longer stand, and wakes the
// waiting streams so that they check theirs at once.
func (s *Service) revoked() {
	s.streams.revocations.Add(1)
	s.feed.poke()
}

// poke wakes the waiters without the log having moved.
func (f *feed) poke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.wake)
	f.wake = make(chan struct{})
}
