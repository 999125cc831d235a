package event

// The life of a call into the server, from the SIP side and the dial
// plan. Its Call-ID is the event's call and, unless it is a callback, its
// interaction too.

// CallArrived: an INVITE the server answered and routed to a dial plan.
type CallArrived struct {
	From string `json:"from" doc:"the caller's number as presented"`
	Name string `json:"name,omitempty" doc:"the caller's display name"`
	To   string `json:"to" doc:"the number dialled"`
	// Pattern is the numbers: pattern or prefix that routed the call,
	// when the number dialled is not listed itself.
	Pattern string `json:"pattern,omitempty"`
	// Trunk names the trunk whose address sent it; empty for a phone or
	// any other source.
	Trunk  string `json:"trunk,omitempty"`
	Plan   string `json:"dialplan" doc:"the dial plan the number routes to"`
	Config string `json:"config_version" doc:"the configuration version the call keeps"`
}

func (CallArrived) Kind() string { return "call.arrived" }

// CallStep: the call passed through one dial-plan node.
type CallStep struct {
	Plan   string `json:"dialplan"`
	Node   string `json:"node"`
	Type   string `json:"node_type"`
	Detail string `json:"detail,omitempty" doc:"what happened there; digits a caller typed are never included"`
	Next   string `json:"next,omitempty" doc:"the node the call went to; empty when the call ended there"`
}

func (CallStep) Kind() string { return "call.step" }

// CallHungUp: the call is over.
type CallHungUp struct {
	By         string `json:"by" doc:"caller, server or agent: who ended it"`
	Cause      string `json:"cause" doc:"a short cause: caller-hangup, end-of-dialplan, no-rtp, server-stopped, ..."`
	DurationMS int64  `json:"duration_ms" doc:"from arrival to the end"`
	TalkMS     int64  `json:"talk_ms" doc:"time bridged to agents"`
}

func (CallHungUp) Kind() string { return "call.hungup" }

// CallEnded: a conversation between a caller (or callback customer) and
// an agent ended.
type CallEnded struct {
	EndedBy string `json:"ended_by" doc:"caller, customer, agent or server"`
	Reason  string `json:"reason,omitempty" doc:"why the agent's side ended, when it did"`
	TalkMS  int64  `json:"talk_ms"`
}

func (CallEnded) Kind() string { return "call.ended" }

// CallTransferred: the agent's phone sent its caller elsewhere (REFER).
type CallTransferred struct {
	To      string `json:"to"`
	Target  string `json:"target" doc:"queue, agent or number"`
	ToQueue string `json:"to_queue,omitempty"`
}

func (CallTransferred) Kind() string { return "call.transferred" }

// TransferRefused: a transfer the server did not allow.
type TransferRefused struct {
	To     string `json:"to"`
	Status int    `json:"status" doc:"the SIP status sent to the phone"`
}

func (TransferRefused) Kind() string { return "call.transfer_refused" }

// DirectOffered: a dial plan's transfer node rings one agent.
type DirectOffered struct{}

func (DirectOffered) Kind() string { return "transfer.offered" }

// DirectUnavailable: the agent a transfer node names cannot take a call.
type DirectUnavailable struct {
	State string `json:"state"`
}

func (DirectUnavailable) Kind() string { return "transfer.unavailable" }

// DirectFailed: the agent's phone did not answer the transfer.
type DirectFailed struct {
	Cause string `json:"cause"`
}

func (DirectFailed) Kind() string { return "transfer.failed" }

// DirectAnswered: the agent answered the transfer.
type DirectAnswered struct{}

func (DirectAnswered) Kind() string { return "transfer.answered" }
