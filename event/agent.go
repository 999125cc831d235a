package event

// AgentState: an agent moved from one state to another. Every change of
// an agent's state is exactly one of these.
type AgentState struct {
	From string `json:"from" doc:"logged-out, ready, offered, on-call, wrap-up or paused"`
	To   string `json:"to"`
	// Reason is the pause reason, when To is paused with one.
	Reason string `json:"reason,omitempty"`
	// Cause says what moved the agent: login, logout, pause, ready,
	// offer, answer, no-answer, max-no-answer, offer-ended, call-ended,
	// wrap-up-time, wrap-up-ended, callback-failed, restored.
	Cause string `json:"cause"`
	Actor Actor  `json:"actor"`
	// WrapUpMS is the wrap-up's length, when To is wrap-up.
	WrapUpMS int64 `json:"wrap_up_ms,omitempty"`
}

func (AgentState) Kind() string { return "agent.state" }

// AgentLoggedIn: the agent joined a queue (the event's queue).
type AgentLoggedIn struct {
	Actor Actor `json:"actor"`
	// Unassigned: the queue is not one of the agent's own.
	Unassigned bool `json:"unassigned,omitempty"`
}

func (AgentLoggedIn) Kind() string { return "agent.logged_in" }

// AgentLoggedOut: the agent left a queue.
type AgentLoggedOut struct {
	Actor Actor `json:"actor"`
}

func (AgentLoggedOut) Kind() string { return "agent.logged_out" }

// AgentMissed: the agent's phone did not take an offer.
type AgentMissed struct {
	Misses int    `json:"misses" doc:"offers missed in a row that count toward max_no_answer (a busy phone's does not)"`
	Cause  string `json:"cause" doc:"no-answer, busy, declined, unreachable, no-response or failed"`
}

func (AgentMissed) Kind() string { return "agent.missed" }

// PhoneRegistered: the agent's phone can be reached.
type PhoneRegistered struct {
	Cause string `json:"cause,omitempty" doc:"registered, restored, responding or qualify-off"`
}

func (PhoneRegistered) Kind() string { return "agent.registered" }

// PhoneUnregistered: the agent's phone can no longer be reached.
type PhoneUnregistered struct {
	Cause string `json:"cause,omitempty" doc:"unregistered, expired or no-response"`
}

func (PhoneUnregistered) Kind() string { return "agent.unregistered" }
