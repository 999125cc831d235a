//go:build !linux

package media

import "errors"

// rawSender exists only on Linux; elsewhere every stream uses its socket.
type rawSender struct{ dropped uint64 }

func openRawSender() (*rawSender, error) { return nil, errors.ErrUnsupported }

func (r *rawSender) close()                {}
func (r *rawSender) next() []byte          { return nil }
func (r *rawSender) commit(*rawRoute, int) {}
func (r *rawSender) flush()                {}
