package directory

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters for new hashes: OWASP's recommended minimum for
// argon2id (19 MiB, two passes, one lane). 27 to 35 ms per hash on one
// core of the project's machines (BenchmarkHash): a login costs a user
// nothing noticeable and a guesser dearly. Each hash records its own
// parameters, so raising them later leaves old hashes verifiable.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length bounds, in characters. The upper bound keeps one
// request from making the server hash megabytes.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// ErrMismatch means a password does not match its hash.
var ErrMismatch = errors.New("wrong password")

// CheckPassword refuses passwords too short, too long or with control
// characters (which no keyboard prompt would have given).
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n == 0:
		return errors.New("password is empty")
	case n < MinPasswordLen:
		return fmt.Errorf("password is shorter than %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("password is longer than %d characters", MaxPasswordLen)
	}
	for _, r := range pw {
		if r < 0x20 || r == 0x7f {
			return errors.New("password holds a control character")
		}
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id, a few at a time:
// each hash holds argonMemory, and a flood of logins must not take the
// memory or cores that calls need.
type Hasher struct {
	slots chan struct{}
}

// NewHasher allows at most concurrent hashes at once (at least one).
func NewHasher(concurrent int) *Hasher {
	return &Hasher{slots: make(chan struct{}, max(concurrent, 1))}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to hash a password: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-style encoding of an argon2id hash of pw with a
// fresh salt: $argon2id$v=19$m=...,t=...,p=...$salt$key.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salting a password: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	h.release()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify checks pw against an encoded hash: nil when it matches,
// ErrMismatch when it does not, another error when the hash is not one
// this code wrote.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) error {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return err
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(want)))
	h.release()
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// Waste spends the time of one verification, for a user that does not
// exist: without it, how fast a login fails would tell which user names
// are real.
func (h *Hasher) Waste(ctx context.Context, pw string) {
	if h.acquire(ctx) != nil {
		return
	}
	argon2.IDKey([]byte(pw), make([]byte, argonSaltLen), argonTime, argonMemory, argonThreads, argonKeyLen)
	h.release()
}

type params struct {
	time, memory uint32
	threads      uint8
}

func decode(encoded string) (params, []byte, []byte, error) {
	var p params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("password hash: not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errors.New("password hash: unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, nil, nil, fmt.Errorf("password hash parameters: %w", err)
	}
	// Bounds keep a doctored hash in the database from making one login
	// take the machine's memory.
	if p.time < 1 || p.time > 16 || p.memory < 8 || p.memory > 1<<20 || p.threads < 1 || p.threads > 16 {
		return p, nil, nil, errors.New("password hash parameters out of range")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("password hash salt: %w", err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("password hash: bad key")
	}
	return p, salt, key, nil
}
