package event

// MonitorStarted: a supervisor's phone joined an agent's call, listening,
// whispering to the agent or barging in. The agent and the customer are
// not told; the log and the audit trail are.
type MonitorStarted struct {
	Session string `json:"session" doc:"the monitoring session's id"`
	Mode    string `json:"mode" enum:"listen,whisper,barge"`
	Phone   string `json:"phone" doc:"the SIP user whose phone monitors"`
	Actor   Actor  `json:"actor" doc:"the supervisor who asked"`
}

func (MonitorStarted) Kind() string { return "monitor.started" }

// MonitorModeChanged: a monitoring supervisor switched between listening,
// whispering and barging in, from the console or the phone's keys.
type MonitorModeChanged struct {
	Session string `json:"session"`
	Mode    string `json:"mode" enum:"listen,whisper,barge"`
	From    string `json:"from" enum:"listen,whisper,barge" doc:"the mode before"`
	Actor   Actor  `json:"actor"`
}

func (MonitorModeChanged) Kind() string { return "monitor.mode_changed" }

// MonitorStopped: a monitoring session ended; the call goes on unless it
// is what ended.
type MonitorStopped struct {
	Session string `json:"session"`
	Cause   string `json:"cause" enum:"stopped,supervisor-hung-up,call-ended,not-answered,failed,server-stopping"`
	// MS counts from the supervisor's phone joining the call; 0 when it
	// never did.
	MS    int64 `json:"monitored_ms" doc:"how long the supervisor was on the call"`
	Actor Actor `json:"actor" doc:"who stopped it: the supervisor, its phone, or the server when the call ended"`
}

func (MonitorStopped) Kind() string { return "monitor.stopped" }
