package acd

// Kind is what an interaction is: what the agent is offered, and how it
// reaches the customer.
type Kind uint8

// The kinds of interactions. Campaign calls and chats will be kinds of
// their own.
const (
	Voice    Kind = iota // an inbound caller on the line
	Callback             // a caller's request to be called back, keeping its place
)

func (k Kind) String() string {
	return [...]string{"voice", "callback"}[k]
}

// Load is how much of an agent's capacity an interaction of this kind
// takes while it is offered or in progress: the one rule capacity across
// kinds will be counted by. An agent's capacity is 1 today: one call at a
// time, whatever its kind.
func (k Kind) Load() int { return 1 }

// Interaction is one customer's contact with the centre, as the core
// distributes it. It is made when it joins a queue and not changed after.
type Interaction struct {
	// ID is the interaction's id: the inbound call's Call-ID, or for a
	// callback the call that asked for it.
	ID    string
	Kind  Kind
	Queue string // "" for a direct call to an agent
	// Party is who the agent's phone shows: the caller, or for a callback
	// the customer's number named "Callback".
	Party Party
	// Vars are what the dial plan collected about the caller.
	Vars map[string]string
}
