package config

import "fmt"

// CheckPauseReason applies the rule for names (CheckName) to a pause
// reason, as the file and the API both must.
func CheckPauseReason(name string) error { return CheckName("pause reason", name) }

// PauseReasonSource is where the i-th of PauseReasons is declared, as
// FILE:LINE: the API shows it, and names it when it refuses to change
// what the file owns.
func (c *Config) PauseReasonSource(i int) string {
	line := 1
	if i >= 0 && i < len(c.pauseReasonLines) {
		line = int(c.pauseReasonLines[i])
	}
	return fmt.Sprintf("%s:%d", c.File, line)
}
