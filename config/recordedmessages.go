package config

import "time"

// DefaultRecordedMessageLength is the longest recorded message accepted
// when recorded_messages.max_seconds is not set.
const DefaultRecordedMessageLength = 10 * time.Minute

// RecordedMessages bounds the messages administrators upload or record
// by phone.
type RecordedMessages struct {
	// MaxSeconds is the longest message accepted, uploaded or recorded.
	MaxSeconds int  `yaml:"max_seconds"`
	Line       Line `yaml:"-"`
}

// MaxLength is the longest message accepted.
func (r RecordedMessages) MaxLength() time.Duration {
	if r.MaxSeconds <= 0 {
		return DefaultRecordedMessageLength
	}
	return time.Duration(r.MaxSeconds) * time.Second
}

// uploadBytesPerSecond is the most an uploaded file may spend on one
// second of audio: 16-bit mono WAV at 48 kHz. Compressed files spend far
// less; a stereo or 24-bit WAV of the longest length is refused as too
// large and must be sent as mono 16-bit.
const uploadBytesPerSecond = 96000

// MaxUploadBytes is the largest file accepted, derived from MaxLength:
// a body is refused on its size before any of it is decoded.
func (r RecordedMessages) MaxUploadBytes() int64 {
	return int64(r.MaxLength()/time.Second)*uploadBytesPerSecond + 64<<10
}

func (r RecordedMessages) validate(file string, errs *Errors) {
	if r.MaxSeconds < 0 {
		errs.Add(file, int(r.Line), "recorded_messages.max_seconds %d: want a positive number of seconds", r.MaxSeconds)
	}
}
