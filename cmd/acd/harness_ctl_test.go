package main

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// ctl runs acd ctl against s and returns what it printed and its status.
func ctl(t *testing.T, s *server, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(acdBinary, append([]string{"ctl", "-http", s.http, "-data", s.data}, args...)...)
	// The race detector waits a second at exit for late reports; a race
	// found still fails the command (exit 66).
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	return out.String(), errs.String(), exitStatus(err)
}

// ctlOK runs acd ctl and fails the test unless it succeeds.
func ctlOK(t *testing.T, s *server, args ...string) string {
	t.Helper()
	out, errs, code := ctl(t, s, args...)
	if code != 0 {
		t.Fatalf("acd ctl %s exited %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

var cellGap = regexp.MustCompile(`\s{2,}`)

// table reads an aligned table, header first, as rows of cells keyed by
// column name; it also checks that every row's cells start under their
// column's heading.
func table(t *testing.T, text string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	header := cellGap.Split(strings.TrimSpace(lines[0]), -1)
	var starts []int
	for _, h := range header {
		starts = append(starts, strings.Index(lines[0], h))
	}
	var rows []map[string]string
	for _, line := range lines[1:] {
		cells := cellGap.Split(strings.TrimSpace(line), -1)
		if len(cells) != len(header) {
			t.Fatalf("row %q has %d cells under %d headings:\n%s", line, len(cells), len(header), text)
		}
		row := map[string]string{}
		for i, c := range cells {
			if !strings.HasPrefix(line[starts[i]:], c) {
				t.Fatalf("cell %q is not aligned under %q:\n%s", c, header[i], text)
			}
			row[header[i]] = c
		}
		rows = append(rows, row)
	}
	return rows
}

func rowWith(t *testing.T, rows []map[string]string, column, value string) map[string]string {
	t.Helper()
	for _, r := range rows {
		if r[column] == value {
			return r
		}
	}
	t.Fatalf("no row with %s %q in %v", column, value, rows)
	return nil
}

// ctl with a config: over HTTPS, acd ctl needs the configuration to
// know the certificate it pins.
func ctlWith(t *testing.T, s *server, config string, args ...string) string {
	t.Helper()
	out, errs, code := ctl(t, s, append([]string{"-config", config}, args...)...)
	if code != 0 {
		t.Fatalf("acd ctl %s exited %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}
