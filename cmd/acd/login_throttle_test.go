package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"
)

// loginFrom posts a login to the API from a loopback address of its own
// (Linux routes all of 127.0.0.0/8 to lo), and returns the status.
func loginFrom(t *testing.T, s *server, from, user, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	return postFrom(t, s, from, "/api/v1/login", "application/json", body)
}

// formLoginFrom posts the consoles' sign-in form; a success is a 303.
func formLoginFrom(t *testing.T, s *server, from, user, password string) int {
	t.Helper()
	form := url.Values{"user": {user}, "password": {password}}
	return postFrom(t, s, from, "/login", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

func postFrom(t *testing.T, s *server, from, path, contentType string, body []byte) int {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(from), 0)), Timeout: 10 * time.Second}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Post("http://"+s.http+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Errorf("POST %s from %s: %v", path, from, err)
		return 0
	}
	res.Body.Close()
	if res.StatusCode >= 500 {
		t.Errorf("POST %s from %s: %d", path, from, res.StatusCode)
	}
	return res.StatusCode
}

// burst sends n logins at once and counts the answers by status; after
// the first 429 it sends the login then, once, while the burst may
// still be in flight, and reports its status.
func burst(t *testing.T, s *server, login func(t *testing.T, s *server, from, user, password string) int,
	n int, from string, user func(i int) string, then func() int) (map[int]int, int) {
	t.Helper()
	var mu sync.Mutex
	codes := map[int]int{}
	refused := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := login(t, s, from, user(i), "not the password")
			mu.Lock()
			codes[code]++
			mu.Unlock()
			if code == http.StatusTooManyRequests {
				once.Do(func() { close(refused) })
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-refused:
	case <-done:
	}
	last := then()
	<-done
	return codes, last
}

// TestLoginBurstIsCheckedUpToTheLimit: forty wrong passwords sent at once
// for one user, to the API or the sign-in form, get at most the limit
// checked, the rest refused as
// throttled unhashed, and the right password sent once the limit is
// reached is refused; forty at once for forty users from one address get
// at most the address's limit checked.
func TestLoginBurstIsCheckedUpToTheLimit(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s)
	admin.expect(t, "POST", "/users", map[string]any{"id": "sue", "role": "supervisor", "password": testPassword}, 201, nil)

	admin.expect(t, "POST", "/users", map[string]any{"id": "sam", "role": "supervisor", "password": testPassword}, 201, nil)
	for _, door := range []struct {
		name, user, from string
		login            func(t *testing.T, s *server, from, user, password string) int
	}{
		{"API", "sue", "127.0.0.2", loginFrom},
		{"sign-in form", "sam", "127.0.0.4", formLoginFrom},
	} {
		codes, right := burst(t, s, door.login, 40, door.from, func(int) string { return door.user },
			func() int { return door.login(t, s, door.from, door.user, testPassword) })
		if codes[401] > 5 || codes[401]+codes[429] != 40 {
			t.Errorf("%s: 40 wrong passwords for one user at once: %v; want at most 5 checked (401), the rest 429", door.name, codes)
		}
		if right != 429 {
			t.Errorf("%s: the right password once the limit is reached: %d; want 429", door.name, right)
		}
		s.waitLog(t, 5*time.Second, "security: API login refused", "user="+door.user, "source="+door.from, "throttled=user_at_address")
	}

	codes, _ := burst(t, s, loginFrom, 40, "127.0.0.3", func(i int) string { return fmt.Sprint("guess", i) },
		func() int { return 0 })
	if codes[401] > 20 || codes[401]+codes[429] != 40 {
		t.Errorf("40 wrong logins for 40 users from one address at once: %v; want at most 20 checked (401), the rest 429", codes)
	}
}

// TestStrangersCannotLockOutAUser: guesses at the administrator from
// other addresses are throttled, per address and in all, but the
// administrator still signs in from the address it signed in from
// before.
func TestStrangersCannotLockOutAUser(t *testing.T) {
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	admin := setupAdmin(t, s) // root signed in from 127.0.0.1
	// One stranger: refused after five guesses.
	for i := range 7 {
		want := 401
		if i >= 5 {
			want = 429
		}
		if got := loginFrom(t, s, "127.0.0.2", "root", fmt.Sprint("guess ", i)); got != want {
			t.Fatalf("guess %d from one stranger: %d; want %d", i+1, got, want)
		}
	}
	if got := loginFrom(t, s, "127.0.0.1", "root", testPassword); got != 200 {
		t.Fatalf("root from its own address, while a stranger is throttled: %d; want 200", got)
	}
	// Strangers at many addresses: ten guesses in all are checked.
	checked := 5 // the first stranger's
	for a := 3; a <= 8; a++ {
		for i := range 5 {
			if loginFrom(t, s, fmt.Sprintf("127.0.0.%d", a), "root", fmt.Sprint("guess ", a, i)) == 401 {
				checked++
			}
		}
	}
	if checked != 10 {
		t.Fatalf("%d guesses checked from seven addresses; want 10", checked)
	}
	if got := loginFrom(t, s, "127.0.0.9", "root", testPassword); got != 429 {
		t.Fatalf("the right password from an address root never used, during the guessing: %d; want 429", got)
	}
	if got := loginFrom(t, s, "127.0.0.1", "root", testPassword); got != 200 {
		t.Fatalf("root from its own address, after guesses from seven others: %d; want 200", got)
	}
	admin.expect(t, "GET", "/me", nil, 200, nil)
}
