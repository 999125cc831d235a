package event

// Queue callback. Events of a request have call "callback-N" and the
// interaction of the call that asked for it.

// CallbackOffered: the caller heard the invitation to press #.
type CallbackOffered struct {
	AverageWaitMS int64 `json:"average_wait_ms"`
	CallsInWindow int   `json:"calls_in_window"`
}

func (CallbackOffered) Kind() string { return "callback.offered" }

// CallbackRequested: the caller pressed # and the request is stored.
type CallbackRequested struct {
	Request  int64  `json:"request"`
	Number   string `json:"number" doc:"E.164"`
	Merged   bool   `json:"merged" doc:"an open request for the number already existed"`
	WaitedMS int64  `json:"waited_ms"`
}

func (CallbackRequested) Kind() string { return "callback.requested" }

// CallbackRestored: an open request was put back in its queue at start.
type CallbackRestored struct {
	Request  int64  `json:"request"`
	Number   string `json:"number"`
	Attempts int    `json:"attempts"`
}

func (CallbackRestored) Kind() string { return "callback.restored" }

// CallbackAgentAnswered: an agent answered to call the customer back.
type CallbackAgentAnswered struct {
	Request int64  `json:"request"`
	Number  string `json:"number"`
}

func (CallbackAgentAnswered) Kind() string { return "callback.agent_answered" }

// CallbackDialing: the customer is being dialled through the trunk.
type CallbackDialing struct {
	Request int64  `json:"request"`
	Number  string `json:"number"`
	Attempt int    `json:"attempt"`
}

func (CallbackDialing) Kind() string { return "callback.dialing" }

// CallbackAttemptFailed: the customer was not reached this time.
type CallbackAttemptFailed struct {
	Request int64 `json:"request"`
	Attempt int   `json:"attempt"`
	// Cause is short: busy, no-answer, declined, trunk-unreachable,
	// no-response, not-dialable, agent-hung-up, failed.
	Cause string `json:"cause"`
	// Retry: another attempt will follow.
	Retry bool `json:"retry"`
}

func (CallbackAttemptFailed) Kind() string { return "callback.attempt_failed" }

// CallbackFailed: every attempt failed; the request is closed.
type CallbackFailed struct {
	Request  int64 `json:"request"`
	Attempts int   `json:"attempts"`
}

func (CallbackFailed) Kind() string { return "callback.failed" }

// CallbackConnected: the customer answered and is bridged to the agent.
type CallbackConnected struct {
	Request int64  `json:"request"`
	Number  string `json:"number"`
}

func (CallbackConnected) Kind() string { return "callback.connected" }

// CallbackCompleted: the callback conversation is over; the request is
// closed.
type CallbackCompleted struct {
	Request int64 `json:"request"`
}

func (CallbackCompleted) Kind() string { return "callback.completed" }
