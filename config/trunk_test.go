package config

import (
	"strings"
	"testing"
	"time"
)

func TestTrunkSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string // error lines; none for a valid file
	}{
		{"numeric address", "trunks: {c: {address: 192.0.2.1:5060}}\n", nil},
		{"IPv6 address", "trunks: {c: {address: \"[2001:db8::1]:5060\"}}\n", nil},
		{"bare IP", "trunks: {c: {address: 192.0.2.1}}\n", nil},
		{"domain", "trunks: {c: {address: sip.carrier.example}}\n", nil},
		{"host and port", "trunks: {c: {address: sbc1.carrier.example:5080}}\n", nil},
		{"bad port", "trunks: {c: {address: carrier.example:99999}}\n", []string{`t.yaml:1: trunk "c": address "carrier.example:99999": want IP:PORT, HOST:PORT or a domain`}},
		{"bad host", "trunks: {c: {address: \"carrier_example!\"}}\n", []string{`t.yaml:1: trunk "c": address "carrier_example!"`}},
		{"malformed IP", "trunks: {c: {address: 192.0.2.300:5060}}\n", []string{`t.yaml:1: trunk "c": address "192.0.2.300:5060"`}},
		{"register", "trunks: {c: {address: carrier.example, username: acd, password: pw, register: true, register_expires: 10m, registrar: reg.carrier.example, contact_user: \"+14155550100\", register_retry: {min: 5s, max: 1m}}}\n", nil},
		{"register without credentials", "trunks: {c: {address: carrier.example, register: true}}\n", []string{`t.yaml:1: trunk "c": register: true needs username and password`}},
		{"registrar without register", "trunks: {c: {address: carrier.example, registrar: reg.carrier.example}}\n", []string{`t.yaml:1: trunk "c": registrar, register_expires, contact_user and register_retry apply only with register: true`}},
		{"retry bounds reversed", "trunks:\n  c:\n    address: carrier.example\n    username: u\n    password: p\n    register: true\n    register_retry: {min: 5m, max: 1m}\n", []string{`t.yaml:7: trunk "c": register_retry.min (5m0s) is more than register_retry.max (1m0s)`}},
		{"bad contact user", "trunks: {c: {address: carrier.example, username: u, password: p, register: true, contact_user: \"a b\"}}\n", []string{`t.yaml:1: trunk "c": contact_user "a b"`}},
		{"caller id", "trunks: {c: {address: carrier.example, caller_id: {number: \"+1 415 555 0100\", name: Acme Support}}}\n", nil},
		{"caller id national form", "trunks: {c: {address: carrier.example, caller_id: {number: \"4155550100\"}}}\n", nil},
		{"caller id invalid", "trunks: {c: {address: carrier.example, caller_id: {number: \"+1 000 555 0100\"}}}\n", []string{`t.yaml:1: trunk "c": caller_id.number "+1 000 555 0100": not a valid phone number of numbering.region US`}},
		{"caller id emergency", "trunks: {c: {address: carrier.example, caller_id: {number: \"911\"}}}\n", []string{`t.yaml:1: trunk "c": caller_id.number "911" is an emergency number`}},
		{"caller id name quotes", "trunks: {c: {address: carrier.example, caller_id: {number: \"+14155550100\", name: 'Acme \"Support\"'}}}\n", []string{`t.yaml:1: trunk "c": caller_id.name`}},
		{"dns servers", "sip: {dns_servers: [\"127.0.0.1:5353\", \"192.0.2.53\", \"[::1]:53\"]}\n", nil},
		{"bad dns server", "sip: {dns_servers: [ns1.example]}\n", []string{`t.yaml:1: sip.dns_servers: "ns1.example": want IP or IP:PORT`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.yaml))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("valid file refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			got := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("error\n%s\ndoes not contain %q", got, w)
				}
			}
			if n := len(strings.Split(got, "\n")); n != len(tc.want) {
				t.Errorf("got %d lines, want %d:\n%s", n, len(tc.want), got)
			}
		})
	}
}

func TestTrunkDefaults(t *testing.T) {
	c, err := Parse("t.yaml", []byte("sip: {dns_servers: [192.0.2.53]}\ntrunks:\n  c: {address: carrier.example, username: acd, password: pw, register: true, caller_id: {number: \"(415) 555-0100\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Trunks["c"]
	lo, hi := tr.RetryBounds()
	if tr.RegistrarAddress() != "carrier.example" || tr.RegisterExpiresD() != time.Hour || tr.Contact() != "acd" ||
		lo != 30*time.Second || hi != 10*time.Minute {
		t.Fatalf("defaults: registrar %q, expires %v, contact %q, retry %v–%v", tr.RegistrarAddress(), tr.RegisterExpiresD(), tr.Contact(), lo, hi)
	}
	if tr.CallerID.Number != "+14155550100" {
		t.Fatalf("caller_id.number %q, want it in E.164", tr.CallerID.Number)
	}
	if got := c.SIP.DNSServerAddresses(); len(got) != 1 || got[0] != "192.0.2.53:53" {
		t.Fatalf("dns servers %v, want port 53 made explicit", got)
	}
}

// TestTrunkProblems: what the API refuses in a trunk names the field, as
// the API's errors do.
func TestTrunkProblems(t *testing.T) {
	t.Parallel()
	plan := Numbering{Region: "US"}.Plan()
	ok := func() *Trunk {
		return &Trunk{Address: "sip.carrier.example", Username: "acct", Password: "secret", Register: true,
			CallerID: &TrunkCallerID{Number: "(415) 555-0100", Name: "Acme"}, SRTP: "optional"}
	}
	for _, tc := range []struct {
		name   string
		change func(*Trunk)
		field  string // "": none
	}{
		{"valid", func(*Trunk) {}, ""},
		{"address", func(t *Trunk) { t.Address = "some where" }, "address"},
		{"transport", func(t *Trunk) { t.Transport = "sctp" }, "transport"},
		{"srtp", func(t *Trunk) { t.SRTP = "sometimes" }, "srtp"},
		{"caller ID number", func(t *Trunk) { t.CallerID.Number = "12" }, "caller_id.number"},
		{"emergency caller ID", func(t *Trunk) { t.CallerID.Number = "911" }, "caller_id.number"},
		{"caller ID name", func(t *Trunk) { t.CallerID.Name = `"Acme"` }, "caller_id.name"},
		{"no password to register with", func(t *Trunk) { t.Password = "" }, "password"},
		{"no username to register with", func(t *Trunk) { t.Username = "" }, "username"},
		{"registrar", func(t *Trunk) { t.Registrar = "a b" }, "registrar"},
		{"contact user", func(t *Trunk) { t.ContactUser = "a b" }, "contact_user"},
		{"registration settings without register", func(t *Trunk) { t.Register, t.ContactUser = false, "x" }, "register"},
	} {
		tr := ok()
		tc.change(tr)
		problems := tr.Problems(plan)
		switch {
		case tc.field == "" && len(problems) > 0:
			t.Errorf("%s: %+v, want none", tc.name, problems)
		case tc.field != "" && (len(problems) == 0 || problems[0].Field != tc.field):
			t.Errorf("%s: %+v, want one naming %s first", tc.name, problems, tc.field)
		}
		if tc.field == "" && tr.CallerID.Number != "+14155550100" {
			t.Errorf("caller ID %q, want it in E.164", tr.CallerID.Number)
		}
	}
}

// TestRegistrarTarget: REGISTER goes over the trunk's transport, to the
// registrar when one is given.
func TestRegistrarTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trunk Trunk
		want  TrunkTarget
	}{
		{Trunk{Address: "sips:carrier.example"}, TrunkTarget{Host: "carrier.example", Transport: "TLS", Secure: true}},
		{Trunk{Address: "sips:carrier.example", Registrar: "reg.carrier.example"}, TrunkTarget{Host: "reg.carrier.example", Transport: "TLS", Secure: true}},
		{Trunk{Address: "sips:carrier.example", Registrar: "198.51.100.7"}, TrunkTarget{Host: "198.51.100.7", Port: 5061, Transport: "TLS", Secure: true}},
		{Trunk{Address: "carrier.example", Transport: "tcp", Registrar: "reg.carrier.example:5070"}, TrunkTarget{Host: "reg.carrier.example:5070", Transport: "TCP", Explicit: true}},
		{Trunk{Address: "198.51.100.7:5060"}, TrunkTarget{Host: "198.51.100.7", Port: 5060, Transport: "UDP"}},
	} {
		got, err := tc.trunk.RegistrarTarget()
		if err != nil || got != tc.want {
			t.Errorf("%+v: %+v, %v; want %+v", tc.trunk, got, err, tc.want)
		}
	}
}
