package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestLogFormatJSON: server.log_format json makes every line one JSON
// object, with the call's attributes as fields; a collect node with
// log_digits lets the log show what the caller typed. -log-format
// overrides the file.
func TestLogFormatJSON(t *testing.T) {
	t.Parallel()
	yaml := "server: {log_format: json}\n" + strings.Replace(planYAML, "variable: account\n", "variable: account\n        log_digits: true\n", 1)
	if !strings.Contains(yaml, "log_digits: true") {
		t.Fatal("planYAML no longer has the collect node this test expects")
	}
	path := writeConfig(t, yaml)
	s := startAcd(t, "-config", path, "-log-level", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phone := dial(t, ctx, s)
	for _, k := range "24711#" {
		phone.SendDTMF(k, 101)
	}
	lines := s.linesUntil(t, 5*time.Second, `"msg":"caller joined queue"`)
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, line)
		}
	}
	joined := lines[len(lines)-1]
	for _, want := range []string{`"queue":"sales"`, `"vars":{"account":"4711"}`, `"call_id":"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("the line of a caller joining lacks %s:\n%s", want, joined)
		}
	}
	if countLines(lines, `"msg":"caller information collected"`, `"variable":"account","value":"4711"`) != 1 {
		t.Errorf("the log does not show the digits of a node with log_digits:\n%s", strings.Join(lines, "\n"))
	}
	waitBye(t, ctx, phone)

	// startAcd narrows -rtp-ports, which is warned of before the start.
	text := startAcd(t, "-config", path, "-log-format", "text")
	text.waitLog(t, 5*time.Second, `level=WARN msg="rtp_ports holds fewer calls than max_calls`)
}
