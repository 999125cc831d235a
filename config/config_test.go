package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("default configuration: %v", err)
	}
	if c.Numbers["100"].Name != "main" {
		t.Fatalf("number 100 routes to %q, want main", c.Numbers["100"].Name)
	}
	if !c.DemoCredentials() {
		t.Fatal("the default configuration's demo passwords are not recognised as such")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"syntax", "server:\n  sip: [\n", []string{"t.yaml:2: YAML syntax"}},
		{"unknown field", "server:\n  sipp: 1.2.3.4:5\n", []string{`t.yaml:2: server: unknown field "sipp"`}},
		{"bad address", "server:\n  sip: localhost\n", []string{`t.yaml:2: server.sip "localhost": want IP:PORT`}},
		{"bad ports", "server:\n  rtp_ports: 5-4\n", []string{`t.yaml:2: server.rtp_ports "5-4"`}},
		{"missing dial plan", "numbers:\n  \"100\": nowhere\n", []string{`t.yaml:2: number "100" routes to dial plan "nowhere", which does not exist`}},
		{"bad duration", "media:\n  rtp_timeout: 0s\n", []string{`t.yaml:2: media.rtp_timeout: "0s" must be positive`}},
		{"junk duration", "media:\n  rtp_timeout: soon\n", []string{`t.yaml:2: media.rtp_timeout: "soon" is not a duration`}},
		{"max_calls beyond ports", "server:\n  rtp_ports: 10000-10100\n  max_calls: 100\n", []string{`t.yaml:2: server.max_calls 100: rtp_ports 10000-10100 holds only 50 calls`}},
		{"bad raw_send", "media:\n  raw_send: yes\n", []string{`t.yaml:2: media.raw_send "yes": want auto, on or off`}},
		{"bad log_format", "server:\n  log_format: xml\n", []string{`t.yaml:2: server.log_format "xml": want text or json`}},
		{"bad number type", "max_steps: many\n", []string{`t.yaml:1: max_steps: "many" is not a valid whole number`}},
		{"all reported", "server:\n  sip: x\n  http: y\nfoo: 1\n", []string{`t.yaml:2: server.sip "x"`, `t.yaml:2: server.http "y"`, `t.yaml:4: top level: unknown field "foo"`}},
		{"bad strategy", "queues:\n  q:\n    strategy: best\n", []string{`t.yaml:3: queue "q": strategy "best"`}},
		{"callback threshold junk", "trunks: {t: {address: 127.0.0.1:5080}}\nqueues:\n  q:\n    callback:\n      enabled: true\n      threshold: soon\n      caller_id: \"+14155550100\"\n      trunk: t\n", []string{`t.yaml:6: queues.q.callback.threshold: "soon" is not a duration`}},
		{"callback threshold zero", "trunks: {t: {address: 127.0.0.1:5080}}\nqueues:\n  q:\n    callback: {enabled: true, threshold: 0, caller_id: \"+14155550100\", trunk: t}\n", []string{`t.yaml:4: queues.q.callback.threshold: "0" must be positive`}},
		{"callback never emergency", "trunks: {t: {address: 127.0.0.1:5080}}\nqueues:\n  q:\n    callback: {enabled: true, threshold: 90, caller_id: \"+14155550100\", trunk: nope, allowed_number_types: [emergency, mobile]}\n", []string{`t.yaml:4: queue "q": callback.trunk "nope" does not exist`, `t.yaml:4: queue "q": callback.allowed_number_types: emergency numbers are never called back`, `t.yaml:4: queue "q": callback.allowed_number_types: "mobile"`}},
		{"old numbering fields", "numbering:\n  country_code: \"1\"\n  national_prefix: \"1\"\n  international_prefix: \"011\"\n  national_length: 10\n  toll_free: [\"800\"]\n  premium: [\"900\"]\n  local_area_codes: [\"415\"]\n", []string{
			`t.yaml:2: numbering: field "country_code" is no longer supported: set region to the country's ISO 3166 code`,
			`t.yaml:3: numbering: field "national_prefix" is no longer supported: set region`,
			`t.yaml:4: numbering: field "international_prefix" is no longer supported: set region`,
			`t.yaml:5: numbering: field "national_length" is no longer supported: set region`,
			`t.yaml:6: numbering: field "toll_free" is no longer supported: set region`,
			`t.yaml:7: numbering: field "premium" is no longer supported: set region`,
			`t.yaml:8: numbering: field "local_area_codes" is no longer supported: use local_prefixes`,
		}},
		{"unknown region", "numbering:\n  region: XX\n  national_regions: [US, ZZ]\n", []string{`t.yaml:2: numbering.region "XX": want an ISO 3166`, `t.yaml:2: numbering.national_regions: "ZZ"`, `t.yaml:2: numbering.national_regions [US ZZ] leaves out the region itself, XX`}},
		{"national regions without the region", "numbering:\n  region: GB\n  national_regions: [US]\n", []string{`t.yaml:2: numbering.national_regions [US] leaves out the region itself, GB`}},
		{"numbering digits", "numbering:\n  emergency: [\"9-1-1\"]\n  local_prefixes: [\"+1415\", \"\"]\n", []string{`t.yaml:2: numbering.emergency: "9-1-1"`, `t.yaml:2: numbering.local_prefixes: "+1415"`, `t.yaml:2: numbering.local_prefixes: ""`}},
		{"sip limits", "sip:\n  tcp:\n    max_connections: 10\n    max_connections_per_source: 20\n    idle_timeout: never\n  rate_limit:\n    per_second: -1\n    exempt: [10.0.0.0]\n", []string{
			`t.yaml:3: sip.tcp.max_connections_per_source (20) is more than max_connections (10)`,
			`t.yaml:5: sip.tcp.idle_timeout: "never" is not a duration`,
			`t.yaml:7: sip.rate_limit.per_second: -1: want 0 (no limit) or more`,
			`t.yaml:7: sip.rate_limit.exempt: "10.0.0.0": want a prefix like 192.0.2.0/24`,
		}},
		{"pause reason twice", "pause_reasons:\n  - Lunch\n  - Break\n  - lunch\n", []string{`t.yaml:4: pause_reasons: "lunch" is given twice`}},
		{"password hash", "agents:\n  \"1\": {password_hash: \"md5:zz\"}\n", []string{`t.yaml:2: agent "1": password_hash: want md5: and the 32 hex digits of MD5(1:acd.local:password), sha256: and the 64 of SHA-256(1:acd.local:password), or both with a space between`}},
		{"demo password beyond loopback", "server:\n  sip: 0.0.0.0:5060\nagents:\n  \"7\": {password: demo-7}\n", []string{`t.yaml:4: agent "7": a demo password is refused while server.sip or server.http listens beyond loopback`}},
		{"service level junk", "queues:\n  q:\n    service_level:\n      threshold: soon\n      target: 0.8\n    short_abandon: 0s\n", []string{
			`t.yaml:4: queues.q.service_level.threshold: "soon" is not a duration`,
			`t.yaml:5: queues.q.service_level.target: "0.8": write the percentage, like 80%, not a fraction`,
			`t.yaml:6: queues.q.short_abandon: "0s" must be positive`,
		}},
		{"service level target", "queues:\n  q:\n    service_level: {target: 120%}\n", []string{`t.yaml:3: queues.q.service_level.target: "120%": want a percentage above 0% and at most 100%`}},
		{"agent queue", "agents:\n  \"1\": {password: x, queues: [nope]}\n", []string{`t.yaml:2: agent "1": queue "nope" does not exist`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("no error")
			}
			got := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("error\n%s\ndoes not contain %q", got, w)
				}
			}
			if n := len(strings.Split(got, "\n")); n != len(tt.want) {
				t.Errorf("got %d lines, want %d:\n%s", n, len(tt.want), got)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true}, {"2m", 2 * time.Minute, true}, {"1h", time.Hour, true},
		{"45", 45 * time.Second, true}, {"1h30m", 90 * time.Minute, true},
		{"0", 0, false}, {"-5s", 0, false}, {"abc", 0, false}, {"5x", 0, false}, {"", 0, false}, {"10ns", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestQueueExtensionsProposed(t *testing.T) {
	c, err := Parse("t.yaml", []byte("numbers: {\"600\": main}\ndialplans: {main: {entry: a, nodes: {a: {type: hangup}}}}\nqueues:\n  b: {}\n  a: {}\n  c: {extension: \"601\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Queues["a"].Extension != "602" || c.Queues["b"].Extension != "603" {
		t.Fatalf("extensions a=%s b=%s; want 602 and 603 (600 is a number, 601 taken)", c.Queues["a"].Extension, c.Queues["b"].Extension)
	}
	if next := c.NextQueueExtension(); next != "604" {
		t.Fatalf("next proposed extension %s, want 604", next)
	}
}

func TestNumberingDefaults(t *testing.T) {
	tests := []struct {
		yaml      string
		region    string
		national  []string
		emergency []string
	}{
		{"sip_realm: x\n", "US", []string{"US", "CA"}, []string{"933"}},
		{"numbering: {region: ca}\n", "CA", []string{"US", "CA"}, nil},
		{"numbering: {region: GB}\n", "GB", []string{"GB"}, nil},
		{"numbering: {region: us, national_regions: [us], emergency: []}\n", "US", []string{"US"}, []string{}},
	}
	for _, tt := range tests {
		c, err := Parse("t.yaml", []byte(tt.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		n := c.Numbering
		if n.Region != tt.region || !slices.Equal(n.NationalRegions, tt.national) || !slices.Equal(n.Emergency, tt.emergency) {
			t.Errorf("%q: region %s, national %v, emergency %v; want %s, %v, %v", tt.yaml, n.Region, n.NationalRegions, n.Emergency, tt.region, tt.national, tt.emergency)
		}
	}
}

func TestSIPDefaults(t *testing.T) {
	c, err := Parse("t.yaml", []byte("sip:\n  rate_limit:\n    per_second: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *c.SIP.RateLimit.PerSecond != 0 {
		t.Fatalf("per_second: 0 became %d; want the limit off", *c.SIP.RateLimit.PerSecond)
	}
	d, _ := Default()
	if *d.SIP.RateLimit.PerSecond != 100 || d.SIP.RateLimit.Burst != 200 || d.SIP.TCP.MaxConnections != 1024 ||
		d.SIP.TCP.MaxPerSource != 64 || d.SIP.TCP.IdleTimeout.D() != 2*time.Minute || d.SIP.TCP.MessageTimeout.D() != 10*time.Second {
		t.Fatalf("defaults: %+v", d.SIP)
	}
}

// TestAuthAlgorithmsDefault: unset, the digest challenge is MD5 alone,
// which every phone answers; SHA-256 is there when asked for.
func TestAuthAlgorithmsDefault(t *testing.T) {
	for _, text := range []string{"sip_realm: x.local\n", string(defaultYAML)} {
		c, err := Parse("t.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(c.SIPAuthAlgorithms, []string{"MD5"}) {
			t.Fatalf("sip_auth_algorithms defaults to %v; want [MD5]", c.SIPAuthAlgorithms)
		}
	}
	c, err := Parse("t.yaml", []byte("sip_auth_algorithms: [SHA-256, MD5]\n"))
	if err != nil || !slices.Equal(c.SIPAuthAlgorithms, []string{"SHA-256", "MD5"}) {
		t.Fatalf("sip_auth_algorithms: [SHA-256, MD5] read as %v, %v", c.SIPAuthAlgorithms, err)
	}
}

// TestDemoCredentials: a demo password is refused beyond loopback on any
// agent, however it is written down.
func TestDemoCredentials(t *testing.T) {
	tests := []struct {
		name   string
		agents string
		demo   bool
	}{
		{"the default's own", `"1001": {password: demo-1001}`, true},
		{"another agent's demo password", `"1003": {password: demo-1002}`, true},
		{"the demo pattern on a new agent", `"1003": {password: demo-1003}`, true},
		{"the pattern in capitals", `"1003": {password: DEMO-1003}`, true},
		// md5("1003:acd.local:demo-1001")
		{"a demo password as its digest hash", `"1003": {password_hash: "md5:3ac81295294614190ad1fa9d71dd882f"}`, true},
		{"a real password", `"1001": {password: "correct horse battery staple"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte("agents:\n  "+tc.agents+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.DemoCredentials(); got != tc.demo {
				t.Fatalf("DemoCredentials() = %v, want %v", got, tc.demo)
			}
		})
	}
}

func TestSIPTrace(t *testing.T) {
	c, err := Parse("t.yaml", []byte("sip:\n  trace:\n    sources: [192.0.2.10/32, \"2001:db8::/64\"]\n    users: [\"1001\", \"+14155550100\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.SIP.Trace.SourcePrefixes(); len(p) != 2 || p[0].String() != "192.0.2.10/32" || !slices.Equal(c.SIP.Trace.Users, []string{"1001", "+14155550100"}) {
		t.Fatalf("trace read as %+v", c.SIP.Trace)
	}
	d, _ := Default()
	if len(d.SIP.Trace.Sources)+len(d.SIP.Trace.Users) != 0 {
		t.Fatalf("the default traces %+v", d.SIP.Trace)
	}
	_, err = Parse("t.yaml", []byte("sip:\n  trace:\n    sources: [192.0.2.10]\n    users: [\"1001@acd.local\", \"\"]\n    calls: yes\n"))
	for _, want := range []string{
		`t.yaml:3: sip.trace.sources: "192.0.2.10": want a prefix like 192.0.2.10/32`,
		`t.yaml:3: sip.trace.users: "1001@acd.local": want the user part of a SIP URI`,
		`t.yaml:3: sip.trace.users: ""`,
		`t.yaml:5: sip.trace: unknown field "calls"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestServiceLevel(t *testing.T) {
	tests := []struct {
		name      string
		queue     string
		threshold time.Duration
		target    float64
		short     time.Duration
	}{
		{"defaults", "{}", 20 * time.Second, 0.8, 0},
		{"set", "{service_level: {threshold: 30s, target: 90%}, short_abandon: 5s}", 30 * time.Second, 0.9, 5 * time.Second},
		{"target as a number", "{service_level: {target: 75}}", 20 * time.Second, 0.75, 0},
		{"threshold alone", "{service_level: {threshold: 10}}", 10 * time.Second, 0.8, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte("queues:\n  q: "+tt.queue+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			q := c.Queues["q"]
			th, target := q.ServiceLevelOf()
			if th != tt.threshold || target != tt.target || q.ShortAbandon.D() != tt.short {
				t.Errorf("threshold %v target %v short_abandon %v; want %v %v %v", th, target, q.ShortAbandon.D(), tt.threshold, tt.target, tt.short)
			}
		})
	}
}
