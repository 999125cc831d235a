package flow

// Recorder records calls: it hears when a caller (or a customer called
// back) is bridged to an agent, and when that bridge ends, and finds the
// call's Room through Flows.Room while the call is live.
type Recorder interface {
	// Bridged: l has just been bridged, and is live. A contact recorded
	// already (transferred, and answered again) goes on in its file; a
	// new one is recorded when its queue records every call.
	Bridged(l Live)
	// Unbridged: the agent's side of l ended or the caller left; the
	// contact may come back through a queue. Called before the caller's
	// call goes on, so that it is out of the recording's conference.
	Unbridged(l Live)
}

// SetRecorder sets who records calls; nil records none. Called before
// the first call.
func (f *Flows) SetRecorder(r Recorder) { f.recorder = r }
