package config

import (
	"strings"
	"testing"
)

const managedFile = `sip_realm: test.local
numbers: {"100": main}
agents:
  "1001": {name: A, password: secret-1001, queues: [support]}
queues:
  support: {strategy: linear}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: billing, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

func TestParseWith(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		managed Managed
		want    string // a problem's text, "" for none
	}{
		{"the file's plan reaches a managed queue", managedFile, Managed{Queues: map[string]string{"billing": "{strategy: ring-all, ring_timeout: 20s}"}}, ""},
		{"a managed queue's bad setting", managedFile, Managed{Queues: map[string]string{"billing": "{strategy: sideways}"}}, `acd.yaml:0: queue "billing": strategy "sideways"`},
		{"a managed copy of a file queue", managedFile, Managed{Queues: map[string]string{"billing": "{}", "support": "{}"}}, "queues.support is declared in the file at line 6"},
		{"a managed agent in a file queue", managedFile, Managed{Queues: map[string]string{"billing": "{}"}, Agents: map[string]string{"1009": "{name: N, password_hash: \"md5:0123456789abcdef0123456789abcdef\", queues: [support, billing]}"}}, ""},
		{"a managed agent in no queue that exists", managedFile, Managed{Queues: map[string]string{"billing": "{}"}, Agents: map[string]string{"1009": "{name: N, password: x-secret, queues: [nope]}"}}, `agent "1009": queue "nope" does not exist`},
		{"the file's own problems keep their lines", strings.Replace(managedFile, "strategy: linear", "strategy: linear, wrap_up: soon", 1), Managed{Queues: map[string]string{"billing": "{}"}}, "acd.yaml:6:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseWith("acd.yaml", []byte(tc.file), tc.managed)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				for id := range tc.managed.Queues {
					if !c.Queues[id].Managed || c.Source(c.Queues[id].Line, c.Queues[id].Managed) != "database" {
						t.Fatalf("queue %s is not marked as the database's", id)
					}
				}
				if c.Queues["support"].Managed || c.Source(c.Queues["support"].Line, false) != "acd.yaml:6" {
					t.Fatalf("the file's queue: %+v", c.Queues["support"])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a problem with %q", err, tc.want)
			}
		})
	}
}
