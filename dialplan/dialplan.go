// Package dialplan compiles the YAML dial plans into graphs of nodes and
// walks calls through them. Every mistake in a plan is found by Compile,
// with its file and line, before any call runs it.
package dialplan

import (
	"context"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/media"
)

// Call is what the engine needs of a call in progress: the channel the
// distributor holds it by.
type Call = acd.Channel

// Queuer puts a caller in a queue until it leaves; vars are what the dial
// plan collected about the caller, for routing and for the agent.
type Queuer interface {
	// The result says how the wait ended: with the agent's talk time,
	// and where the agent transferred the caller, if it did.
	Wait(ctx context.Context, c acd.Channel, queue string, timeout time.Duration, vars map[string]string) (acd.Result, error)
	// RingAgent rings one agent for the caller and bridges them on answer.
	RingAgent(ctx context.Context, c acd.Channel, agent string, timeout time.Duration) (acd.Result, error)
}

// Sounds finds a prompt by name.
type Sounds interface {
	Get(name string) *media.Sound
	Has(name string) bool
}
