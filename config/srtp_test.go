package config

import (
	"strings"
	"testing"
)

func TestSRTPSettings(t *testing.T) {
	const base = "trunks:\n  carrier: {address: 127.0.0.1:5080%s}\n  plain: {address: 127.0.0.1:5090}\nagents:\n  \"1001\": {password: pw-1001, queues: [support]%s}\n  \"1002\": {password: pw-1002, queues: [support]}\nqueues:\n  support: {}\n"
	tests := []struct {
		name                     string
		yaml                     string
		def, agent, other, trunk string
		plainTrunk, unknownAgent string
		wantErr                  string
	}{
		{name: "unset: off everywhere", yaml: strings.ReplaceAll(base, "%s", ""),
			def: "off", agent: "off", other: "off", trunk: "off", plainTrunk: "off", unknownAgent: "off"},
		{name: "default only", yaml: "media:\n  srtp: optional\n" + strings.ReplaceAll(base, "%s", ""),
			def: "optional", agent: "optional", other: "optional", trunk: "optional", plainTrunk: "optional", unknownAgent: "optional"},
		{name: "per agent and trunk over the default", yaml: "media:\n  srtp: off\n" + strings.Replace(strings.Replace(base, "%s", ", srtp: optional", 1), "%s", ", srtp: required", 1),
			def: "off", agent: "required", other: "off", trunk: "optional", plainTrunk: "off", unknownAgent: "off"},
		{name: "bad default", yaml: "media:\n  srtp: on\n", wantErr: `t.yaml:2: media.srtp "on": want off, optional or required`},
		{name: "bad agent", yaml: strings.Replace(strings.Replace(base, "%s", "", 1), "%s", ", srtp: mandatory", 1), wantErr: `agent "1001": srtp "mandatory"`},
		{name: "bad trunk", yaml: strings.Replace(strings.Replace(base, "%s", ", srtp: yes", 1), "%s", "", 1), wantErr: `trunk "carrier": srtp "yes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{c.DefaultSRTP(), c.AgentSRTP("1001"), c.AgentSRTP("1002"), c.TrunkSRTP("carrier"), c.TrunkSRTP("plain"), c.AgentSRTP("9999")}
			want := []string{tt.def, tt.agent, tt.other, tt.trunk, tt.plainTrunk, tt.unknownAgent}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("default, agent 1001, agent 1002, trunk carrier, trunk plain, agent 9999: %v, want %v", got, want)
			}
		})
	}
}
