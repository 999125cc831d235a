package event

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestDocsListEveryKind: docs/events.md has a section for every kind of
// event, naming each of its fields, so that the document cannot fall
// behind the code.
func TestDocsListEveryKind(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, part := range strings.Split(string(doc), "\n### `")[1:] {
		name, body, _ := strings.Cut(part, "`")
		sections[name] = body
	}
	for _, k := range Kinds() {
		kind := k.Kind()
		body, ok := sections[kind]
		if !ok {
			t.Errorf("docs/events.md has no section for %s", kind)
			continue
		}
		ty := reflect.TypeOf(k)
		for i := range ty.NumField() {
			field := strings.Split(ty.Field(i).Tag.Get("json"), ",")[0]
			if field != "-" && !strings.Contains(body, "`"+field+"`") {
				t.Errorf("docs/events.md, %s: field %s is not described", kind, field)
			}
		}
	}
}

// TestDecode: an event reads back as the type it was written from.
func TestDecode(t *testing.T) {
	in := AgentState{From: "ready", To: "paused", Reason: "Lunch", Cause: "pause", Actor: Phone("1001")}
	e := New(timeZero, Ref{Agent: "1001"}, in)
	e.Seq = 7
	if string(e.Data) != `{"from":"ready","to":"paused","reason":"Lunch","cause":"pause","actor":{"kind":"phone","id":"1001"}}` {
		t.Fatalf("encoded as %s", e.Data)
	}
	p, err := Decode(e)
	if err != nil || !reflect.DeepEqual(p, in) {
		t.Fatalf("decoded %#v, %v", p, err)
	}
	a, err := Decode(New(timeZero, Ref{}, Audit{Action: "user.created", Actor: CommandLine(), Detail: map[string]string{"user": "boss"}}))
	if err != nil || a.Kind() != "audit.user.created" || a.(Audit).Detail["user"] != "boss" {
		t.Fatalf("audit decoded as %#v, %v", a, err)
	}
	e.Version = 0
	if _, err := Decode(e); err == nil {
		t.Fatal("a row from before typed events decoded as a typed one")
	}
}

var timeZero = time.Unix(0, 0)
