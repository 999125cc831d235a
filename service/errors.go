package service

import (
	"fmt"
	"time"
)

// Kind sorts the errors a caller can act on; anything else is the
// server's own failure.
type Kind int

// Kinds of error.
const (
	Invalid         Kind = iota + 1 // a field of the request is wrong
	Unauthenticated                 // no valid credentials
	Forbidden                       // valid credentials, no right to this
	NotFound                        // no such object
	Conflict                        // refused by the object's current state
	Throttled                       // too many failures: wait RetryAfter
)

// Error is a refusal the caller can act on.
type Error struct {
	Kind       Kind
	Field      string // for Invalid: the request field at fault
	Msg        string
	RetryAfter time.Duration // for Throttled
	// Problems are a refused configuration's, one per line at fault, for
	// an editor to show beside its lines.
	Problems []Problem
	// cause is the distributor's refusal behind a Forbidden, for callers
	// that answer it in their own terms (a phone's prompt).
	cause error
}

// Problem is one problem of a configuration: where (a file, or "dialplan
// NAME" for an uploaded plan), the line (0: none) and what is wrong.
type Problem struct {
	Source string `json:"source"`
	Line   int    `json:"line,omitempty"`
	Msg    string `json:"message"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.cause }

// InvalidField is the error of a request field with bad data, for
// callers that check a field before the service sees it.
func InvalidField(field, format string, args ...any) error { return invalid(field, format, args...) }

func invalid(field, format string, args ...any) error {
	return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &Error{Kind: Forbidden, Msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &Error{Kind: NotFound, Msg: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &Error{Kind: Conflict, Msg: fmt.Sprintf(format, args...)}
}

var errUnauthenticated = &Error{Kind: Unauthenticated, Msg: "sign in: no valid credentials"}

// Refuse is the error of an action the caller's role may not take, for
// callers that check a role before the service sees the request.
func Refuse(format string, args ...any) error { return forbidden(format, args...) }
