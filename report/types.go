// Package report computes the contact centre's historical reports from
// the one event log: queue callers, agent performance and conversations,
// with their exports. It keeps projections of the log (one row per
// caller's stay in a queue, one per agent state interval) in step as the
// log is appended, and rebuilds them from the log on demand; reports are
// queries over those projections and never block the log's writer.
//
// docs/metrics.md defines every figure; the names of the JSON fields
// below are the names used there, in the CSV exports and on the pages.
package report

import "time"

// Filter selects what a report covers. Every figure honours it.
type Filter struct {
	// From and To bound the period, [From, To). A caller's stay belongs
	// to the period its joining falls in; an agent's state intervals are
	// clipped to it.
	From, To time.Time
	// Location is the time zone days and hours of day are read in.
	Location *time.Location
	// Queues and Agents narrow the report; empty means all the reader
	// may see (the service fills in a restricted supervisor's queues).
	Queues, Agents []string
}

// Outcomes of a caller's stay in a queue: exactly one ends each stay.
const (
	Answered          = "answered"
	Abandoned         = "abandoned"
	ShortAbandoned    = "short_abandoned"
	CallbackRequested = "callback_requested"
	TimedOut          = "timed_out"
	Exited            = "exited"
	ServerStopped     = "server_stopped"
	// Waiting: the stay had not ended when the report was made.
	Waiting = "waiting"
)

// Stint is one caller's stay in one queue, from joining to the event that
// ended the wait, and the conversation that followed when it was
// answered. A call transferred to another queue has a stint in each.
type Stint struct {
	CallID      string    `json:"call_id"`
	Interaction string    `json:"interaction"`
	Queue       string    `json:"queue"`
	Caller      string    `json:"caller"`
	Joined      time.Time `json:"joined"`
	// Ended is when the wait ended (zero while Waiting).
	Ended   time.Time `json:"ended"`
	Outcome string    `json:"outcome"`
	WaitS   float64   `json:"wait_seconds"`
	// Agent answered it; TalkS and WrapUpS are that conversation's talk
	// and the agent's wrap-up after it.
	Agent   string  `json:"agent,omitempty"`
	TalkS   float64 `json:"talk_seconds"`
	WrapUpS float64 `json:"wrap_up_seconds"`
	// Offers is how many agents' phones rang for it.
	Offers int `json:"offers"`
}

// QueueTotals are the queue-caller figures of one queue, one day or the
// whole report.
type QueueTotals struct {
	Offered           int `json:"offered"`
	Answered          int `json:"answered"`
	Abandoned         int `json:"abandoned"`
	ShortAbandoned    int `json:"short_abandoned"`
	CallbackRequested int `json:"callback_requested"`
	TimedOut          int `json:"timed_out"`
	Exited            int `json:"exited"`
	ServerStopped     int `json:"server_stopped"`
	// Missed = Abandoned + TimedOut + Exited: callers who wanted an agent
	// and left without one or a callback.
	Missed int `json:"missed"`
	// AnsweredWithin is answered with a wait of at most the queue's
	// service-level threshold.
	AnsweredWithin int `json:"answered_within_threshold"`
	// ServiceLevel = AnsweredWithin / (Offered − ShortAbandoned −
	// CallbackRequested − ServerStopped); null when that is 0.
	ServiceLevel *float64 `json:"service_level"`
	// AbandonRate = Abandoned / (Offered − ShortAbandoned); null when 0.
	AbandonRate *float64 `json:"abandon_rate"`
	// Waits before answer and before abandon, in seconds; null without
	// such callers.
	AvgWaitAnswered   *float64 `json:"avg_wait_answered_seconds"`
	P90WaitAnswered   *float64 `json:"p90_wait_answered_seconds"`
	AvgWaitAbandoned  *float64 `json:"avg_wait_abandoned_seconds"`
	P90WaitAbandoned  *float64 `json:"p90_wait_abandoned_seconds"`
	MaxWait           *float64 `json:"max_wait_seconds"`
	AvgHandle         *float64 `json:"avg_handle_seconds"` // talk + wrap-up, over answered
	CallbacksDone     int      `json:"callbacks_completed"`
	CallbacksFailed   int      `json:"callbacks_failed"`
	AvgCallbackWait   *float64 `json:"avg_callback_wait_seconds"` // request → agent answers to call back
	ThresholdSeconds  int      `json:"service_level_threshold_seconds"`
	ShortAbandonBelow int      `json:"short_abandon_seconds"` // 0: off
}

// QueueCallers is the queue-caller report.
type QueueCallers struct {
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	TimeZone string         `json:"tz"`
	Totals   QueueTotals    `json:"totals"`
	Queues   []QueueRow     `json:"queues"`
	Days     []DayRow       `json:"days"`
	Hours    []HourCell     `json:"hours"` // 7 × 24, Monday 00:00 first
	Waits    []WaitBucket   `json:"wait_distribution"`
	Outcomes map[string]int `json:"outcomes"`
}

// QueueRow is one queue's figures.
type QueueRow struct {
	Queue string `json:"queue"`
	QueueTotals
}

// DayRow is one calendar day's figures, in the report's time zone.
type DayRow struct {
	Date string `json:"date"` // 2026-11-24
	QueueTotals
}

// HourCell is one hour of one weekday over the period: how busy it is and
// how many agents it needs. Weekday is 0 for Monday.
type HourCell struct {
	Weekday int `json:"weekday"`
	Hour    int `json:"hour"`
	Offered int `json:"offered"`
	// Occurrences is how many such hours the period holds; the arrival
	// rate is Offered / Occurrences per hour.
	Occurrences int      `json:"occurrences"`
	AvgHandle   *float64 `json:"avg_handle_seconds"`
	// AgentsNeeded is Erlang C's answer for that arrival rate and
	// handle time to meet the service-level target; null without calls.
	AgentsNeeded *int `json:"agents_needed"`
}

// WaitBucket counts callers by wait: UpTo is the bucket's upper bound in
// seconds (the last bucket has none: null).
type WaitBucket struct {
	UpTo      *int `json:"up_to_seconds"`
	Answered  int  `json:"answered"`
	Abandoned int  `json:"abandoned"`
}

// Interval is one agent's time in one state, clipped to the report.
type Interval struct {
	Agent  string    `json:"agent"`
	State  string    `json:"state"` // ready, offered, on-call, wrap-up, paused
	Reason string    `json:"reason,omitempty"`
	Queue  string    `json:"queue,omitempty"` // the call's queue, for offered, on-call and wrap-up
	CallID string    `json:"call_id,omitempty"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	S      float64   `json:"seconds"`
}

// AgentTotals are one agent's figures, or everyone's.
type AgentTotals struct {
	LoggedInS float64 `json:"logged_in_seconds"`
	ReadyS    float64 `json:"ready_seconds"`
	RingingS  float64 `json:"ringing_seconds"`
	OnCallS   float64 `json:"on_call_seconds"`
	WrapUpS   float64 `json:"wrap_up_seconds"`
	PausedS   float64 `json:"paused_seconds"`
	// PausedByReason: "" is a pause without a reason.
	PausedByReason map[string]float64 `json:"paused_by_reason_seconds"`
	Offered        int                `json:"offered"`
	Answered       int                `json:"answered"`
	Missed         int                `json:"missed"`
	// AvgHandle = (talk + wrap-up) / Answered; null when none.
	AvgHandle *float64 `json:"avg_handle_seconds"`
	// Occupancy = (ringing + on call + wrap-up) / (ready + ringing + on
	// call + wrap-up); null when that is 0.
	Occupancy *float64 `json:"occupancy"`
	// QueueShare is each queue's share of the agent's handle time
	// (ringing, on call and wrap-up for its calls).
	QueueShare map[string]float64 `json:"queue_share"`
}

// AgentRow is one agent's figures.
type AgentRow struct {
	Agent string `json:"agent"`
	Name  string `json:"name"`
	AgentTotals
}

// AgentPerformance is the agent-performance report.
type AgentPerformance struct {
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	TimeZone string      `json:"tz"`
	Totals   AgentTotals `json:"totals"`
	Agents   []AgentRow  `json:"agents"`
}

// Conversations is the resolved-conversations report: chat queues fill
// it; until they exist every figure is zero.
type Conversations struct {
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	TimeZone  string         `json:"tz"`
	Totals    ConvTotals     `json:"totals"`
	ByChannel map[string]int `json:"by_channel"`
	ByAgent   []AgentConv    `json:"resolutions_by_agent"`
	TopTags   []TagCount     `json:"top_tags"`
}

// ConvTotals are the conversation figures.
type ConvTotals struct {
	Conversations int `json:"conversations"`
	Resolved      int `json:"resolved"`
}

// AgentConv is one agent's resolutions.
type AgentConv struct {
	Agent    string `json:"agent"`
	Resolved int    `json:"resolved"`
}

// TagCount is how often a tag was put on conversations.
type TagCount struct {
	Tag   string `json:"tag"`
	Count int    `json:"count"`
}
