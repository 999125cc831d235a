package config

import (
	"strings"
	"testing"
)

// TestExcerptAsWritten: an object of the file reads back as its YAML,
// nested lines indented and flow mappings kept, secrets hidden.
func TestExcerptAsWritten(t *testing.T) {
	const file = `queues:
  support: {name: Support}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
trunks:
  carrier: {address: 127.0.0.3:5080, username: acd, password: trunk-secret}
dialplans:
  main:
    entry: q
    nodes:
      q: {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`
	c, err := Parse("acd.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		section, name, want, secret string
	}{
		{"dialplans", "main", "entry: q\nnodes:\n  q: {type: queue, queue: support, timeout: 60s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n", ""},
		{"agents", "1001", "{name: Alice, password: '" + hiddenValue + "', queues: [support]}\n", "secret-1001"},
		{"trunks", "carrier", "username: acd", "trunk-secret"},
		{"queues", "support", "{name: Support}\n", ""},
	} {
		got, ok := c.Excerpt(tc.section, tc.name)
		if !ok || !strings.Contains(got, tc.want) || (tc.secret != "" && strings.Contains(got, tc.secret)) {
			t.Errorf("Excerpt(%s, %s) = %q, %v; want %q without %q", tc.section, tc.name, got, ok, tc.want, tc.secret)
		}
	}
	if _, ok := c.Excerpt("queues", "nope"); ok {
		t.Error("an excerpt of a queue the file does not have")
	}
}
