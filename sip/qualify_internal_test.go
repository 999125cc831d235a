package sip

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestRegistrarQualified: what each OPTIONS outcome and REGISTER does to
// an agent's reachability, and what is told.
func TestRegistrarQualified(t *testing.T) {
	var changes []string
	r := newRegistrar(func(u string, up bool, cause string) {
		changes = append(changes, fmt.Sprintf("%s%s/%s", u, map[bool]string{true: "+", false: "-"}[up], cause))
	}, nil, slog.New(slog.DiscardHandler))
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	cseq := uint32(0)
	reg := func(contact, expires string) {
		cseq++
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: "acd.local"})
		req.AppendHeader(sip.NewHeader("To", "<sip:1001@acd.local>"))
		req.AppendHeader(sip.NewHeader("From", "<sip:1001@acd.local>;tag=1"))
		req.AppendHeader(sip.NewHeader("Call-ID", "c1"))
		req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
		req.AppendHeader(sip.NewHeader("Via", "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1"))
		req.AppendHeader(sip.NewHeader("Contact", contact))
		req.AppendHeader(sip.NewHeader("Expires", expires))
		req.SetSource("203.0.113.5:40000")
		r.register("1001", req, &fakeTx{})
	}
	target := func(contact string) qualifyTarget {
		for _, t := range r.qualifyTargets() {
			if t.contact.String() == contact {
				return t
			}
		}
		t.Fatalf("no binding %s", contact)
		return qualifyTarget{}
	}
	const a, b = "sip:1001@10.0.0.1:5060", "sip:1001@10.0.0.2:5060"
	steps := []struct {
		name       string
		do         func()
		registered bool
		contacts   int
		told       string
	}{
		{"registers", func() { reg("<"+a+">", "300") }, true, 1, "[1001+/registered]"},
		{"one miss", func() { r.qualified(target(a), false, 2) }, true, 1, "[]"},
		{"two misses", func() { r.qualified(target(a), false, 2) }, false, 0, "[1001-/no-response]"},
		{"still silent", func() { r.qualified(target(a), false, 2) }, false, 0, "[]"},
		{"answers", func() { r.qualified(target(a), true, 2) }, true, 1, "[1001+/responding]"},
		{"silent again", func() { r.qualified(target(a), false, 2); r.qualified(target(a), false, 2) }, false, 0, "[1001-/no-response]"},
		{"registers again", func() { reg("<"+a+">", "300") }, true, 1, "[1001+/registered]"},
		{"a stale outcome", func() {
			old := target(a)
			reg("<"+a+">", "300")
			r.qualified(old, false, 1)
		}, true, 1, "[]"},
		{"a second phone", func() { reg("<"+b+">", "300") }, true, 2, "[]"},
		{"one of two silent", func() { r.qualified(target(a), false, 1) }, true, 1, "[]"},
		{"both silent", func() { r.qualified(target(b), false, 1) }, false, 0, "[1001-/no-response]"},
		{"unregisters while silent", func() { reg("*", "0") }, false, 0, "[1001-/unregistered]"},
		{"registers, silent, expires", func() {
			reg("<"+a+">", "300")
			r.qualified(target(a), false, 1)
			now = now.Add(301 * time.Second)
			r.sweep()
		}, false, 0, "[1001+/registered 1001-/no-response 1001-/expired]"},
	}
	for _, s := range steps {
		changes = nil
		s.do()
		if r.Registered("1001") != s.registered || len(r.Contacts("1001")) != s.contacts || fmt.Sprint(changes) != s.told {
			t.Fatalf("%s: registered %v, %d contacts to ring, told %v; want %v, %d, %s",
				s.name, r.Registered("1001"), len(r.Contacts("1001")), changes, s.registered, s.contacts, s.told)
		}
	}
}
