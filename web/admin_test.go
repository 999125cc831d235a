package web

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"
	"testing"

	"github.com/acdserver/acd/service"
)

// A refused form is drawn again with what was typed; every other form
// keeps its current values.
func TestFormStateKeepsTypedOnlyForItsForm(t *testing.T) {
	f := formState{Form: "user:sue", Typed: url.Values{"name": {"Typed"}, "queues": {"sales"}}, Field: "name", Msg: "name: too long"}
	if got := f.value("user:sue", "name", "Sue"); got != "Typed" {
		t.Errorf("the refused form shows %q; want what was typed", got)
	}
	if got := f.value("user:bob", "name", "Bob"); got != "Bob" {
		t.Errorf("another form shows %q; want its current value", got)
	}
	if q := f.choices("user:sue", "queues", []string{"support"}); !q["sales"] || q["support"] {
		t.Errorf("the refused form's queues are %v; want the ones ticked", q)
	}
	if f.For("user:bob") != "" || f.For("user:sue") != "name: too long" || !f.Invalid("user:sue", "name") {
		t.Error("the refusal is not beside its own form only")
	}
	var none formState
	if none.For("") != "" || none.value("", "name", "x") != "x" {
		t.Error("with no refusal a form shows its current values")
	}
}

// What users type is drawn as text, in cells and in fields alike.
func TestAdminPagesEscapeTypedText(t *testing.T) {
	p := &Pages{pages: map[string]*template.Template{}}
	p.parseAdmin("admin-users")
	const evil = `<script>alert(1)</script>`
	s := session{}
	f := formState{Form: "new", Typed: url.Values{"id": {evil}, "name": {evil}}, Msg: "id: " + evil}
	d := usersData{Problem: f, New: userForm{form: newForm(s, f, "new", "/admin/users", "Create user"), ID: evil, Name: evil},
		Users: []userRow{{User: service.User{ID: "eve", Name: evil, Role: "supervisor"}}}}
	var buf bytes.Buffer
	if err := p.pages["admin-users"].ExecuteTemplate(&buf, "layout.html", view{Title: "Users", Data: d}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), evil) {
		t.Fatalf("the page holds the markup as markup:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("the page lacks the typed text, escaped:\n%s", buf.String())
	}
}
