package event

// A caller's time in a queue.

// CallerJoined: a caller entered a queue.
type CallerJoined struct {
	Caller string `json:"caller"`
	// Vars are what the dial plan collected; digits that may be a card
	// number are masked.
	Vars map[string]string `json:"vars,omitempty"`
}

func (CallerJoined) Kind() string { return "caller.joined" }

// CallerOffered: an agent's phone rings for a waiting caller or callback.
type CallerOffered struct {
	Callback bool `json:"callback,omitempty"`
}

func (CallerOffered) Kind() string { return "caller.offered" }

// AgentAnswered: the agent answered and the caller is bridged to them;
// the caller's wait ends here.
type AgentAnswered struct {
	WaitedMS int64 `json:"waited_ms"`
}

func (AgentAnswered) Kind() string { return "agent.answered" }

// CallerAbandoned: the caller hung up while waiting.
type CallerAbandoned struct {
	WaitedMS int64 `json:"waited_ms"`
}

func (CallerAbandoned) Kind() string { return "caller.abandoned" }

// CallerTimedOut: the dial plan's queue timeout passed.
type CallerTimedOut struct {
	WaitedMS int64 `json:"waited_ms"`
}

func (CallerTimedOut) Kind() string { return "caller.timeout" }

// CallerExited: the caller pressed * to leave the queue.
type CallerExited struct {
	WaitedMS int64 `json:"waited_ms"`
}

func (CallerExited) Kind() string { return "caller.exit" }

// CallerStopped: the caller was still waiting when the server stopped;
// not an abandon.
type CallerStopped struct {
	WaitedMS int64 `json:"waited_ms"`
}

func (CallerStopped) Kind() string { return "caller.server_stopped" }
