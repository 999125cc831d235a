package event

// Call recordings. Events of a recording have the interaction of the
// contact it records (one recording per contact) and the call of the
// customer's side.

// RecordingStarted: a recording began, or a recorded contact came back
// to an agent and its recording goes on in the same file.
type RecordingStarted struct {
	Recording string `json:"recording" doc:"the recording's id, as the API names it"`
	Mode      string `json:"mode" doc:"the queue's setting it started under: always or on_demand"`
	// Continued: the contact was recorded before (transferred and
	// answered again); the time it waited is not in the file.
	Continued bool  `json:"continued"`
	OffsetMS  int64 `json:"offset_ms" doc:"where in the file this part starts"`
	Actor     Actor `json:"actor"`
}

func (RecordingStarted) Kind() string { return "recording.started" }

// RecordingPaused: what follows is silence in the file until resumed.
type RecordingPaused struct {
	Recording string `json:"recording"`
	OffsetMS  int64  `json:"offset_ms"`
	Actor     Actor  `json:"actor"`
}

func (RecordingPaused) Kind() string { return "recording.paused" }

// RecordingResumed: the audio is written again.
type RecordingResumed struct {
	Recording string `json:"recording"`
	OffsetMS  int64  `json:"offset_ms"`
	Actor     Actor  `json:"actor"`
}

func (RecordingResumed) Kind() string { return "recording.resumed" }

// RecordingStopped: the recording's file is closed and may be fetched.
type RecordingStopped struct {
	Recording  string `json:"recording"`
	DurationMS int64  `json:"duration_ms"`
	Bytes      int64  `json:"bytes" doc:"the file's size"`
	// Cause: hangup (the contact ended), agent (stopped on demand) or
	// restart (a file the server left open, repaired at its start).
	Cause string `json:"cause"`
	Actor Actor  `json:"actor"`
}

func (RecordingStopped) Kind() string { return "recording.stopped" }

// RecordingDeleted: a recording's file and index entry are gone.
type RecordingDeleted struct {
	Recording string `json:"recording"`
	Reason    string `json:"reason" doc:"retention, or user"`
	Actor     Actor  `json:"actor"`
}

func (RecordingDeleted) Kind() string { return "recording.deleted" }

// RecordingFramesLost: the disk fell behind and periods of audio were
// dropped; each is silence in the file, so that what follows keeps its
// time.
type RecordingFramesLost struct {
	Recording string `json:"recording"`
	Frames    uint64 `json:"frames" doc:"20 ms periods lost since the last such event of the recording"`
}

func (RecordingFramesLost) Kind() string { return "recording.frames_lost" }
