package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// RecordingMode is whether a queue's calls are recorded.
type RecordingMode string

// The recording modes. The zero value, unset, is Never.
const (
	// RecordNever: no recording starts; an agent cannot start one. A
	// contact already recorded (transferred from a queue that records)
	// goes on being recorded.
	RecordNever RecordingMode = "never"
	// RecordAlways: every call is recorded from the moment it is bridged.
	RecordAlways RecordingMode = "always"
	// RecordOnDemand: the agent starts and stops the recording.
	RecordOnDemand RecordingMode = "on_demand"
)

// Mode is the setting with the default filled in.
func (m RecordingMode) Mode() RecordingMode {
	if m == "" {
		return RecordNever
	}
	return m
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (m *RecordingMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want never, always or on_demand")
	}
	switch v := RecordingMode(strings.TrimSpace(n.Value)); v {
	case RecordNever, RecordAlways, RecordOnDemand:
		*m = v
		return nil
	}
	return fmt.Errorf("%q: want never, always or on_demand", n.Value)
}

// Recordings is where and for how long call recordings are kept.
type Recordings struct {
	// Retention: recordings older than this are deleted; unset, the
	// default; 0 keeps them for ever.
	Retention *Retention `yaml:"retention"`
	Line      Line
}

// DefaultRetention is how long recordings are kept unless said.
const DefaultRetention = 90 * 24 * time.Hour

// RetentionOf is how long recordings are kept; 0: for ever.
func (r Recordings) RetentionOf() time.Duration {
	if r.Retention == nil {
		return DefaultRetention
	}
	return time.Duration(*r.Retention)
}

// Retention is a duration that may be 0 (keep for ever), written like a
// Duration, or in days: "90d".
type Retention time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *Retention) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("want a duration like 90d or 720h, or 0 to keep recordings for ever")
	}
	s := strings.TrimSpace(n.Value)
	if s == "0" {
		*r = 0
		return nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var d int
		if _, err := fmt.Sscanf(days, "%d", &d); err != nil || d <= 0 || fmt.Sprint(d) != days {
			return fmt.Errorf("%q: want a whole number of days like 90d, a duration like 720h, or 0 to keep recordings for ever", n.Value)
		}
		*r = Retention(time.Duration(d) * 24 * time.Hour)
		return nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%v; or write days like 90d, or 0 to keep recordings for ever", err)
	}
	*r = Retention(d)
	return nil
}
