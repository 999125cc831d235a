package web

import (
	"bytes"
	"errors"
	"html/template"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/acdserver/acd/directory"
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
	p := &Pages{pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}}
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

// The administration shows each user the sections the service's
// capabilities give it, and the console's menu links to it only then.
func TestSectionsFor(t *testing.T) {
	actor := func(r directory.Role, overrides map[string]bool) *service.Actor {
		return &service.Actor{UserID: "u", Role: r, Permissions: directory.Effective(r, overrides)}
	}
	every := []string{}
	for _, s := range adminSections() {
		every = append(every, s.Href)
	}
	cases := []struct {
		name  string
		actor *service.Actor
		want  []string
	}{
		{"administrator", actor(directory.Administrator, nil), every},
		{"supervisor with the role's defaults", actor(directory.Supervisor, nil), []string{"/admin/tags"}},
		{"supervisor without tags.manage", actor(directory.Supervisor, map[string]bool{"tags.manage": false}), nil},
		{"supervisor granted pause reasons and queue settings",
			actor(directory.Supervisor, map[string]bool{"pause_reasons.manage": true, "queues.settings.manage": true, "tags.manage": false}),
			[]string{"/admin/queues", "/admin/pause-reasons"}},
		{"agent with the role's defaults", actor(directory.Agent, nil), nil},
		{"agent granted public canned messages", actor(directory.Agent, map[string]bool{"canned_messages.public.manage": true}), []string{"/admin/canned-messages"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, s := range sectionsFor(c.actor) {
				got = append(got, s.Href)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("sections %v; want %v", got, c.want)
			}
			v := view{Session: session{actor: c.actor}}
			linked := slices.ContainsFunc(v.Nav(), func(n navItem) bool { return n.Href == "/admin" })
			if linked != (len(c.want) > 0) {
				t.Errorf("the menu links to the administration: %v; want %v", linked, len(c.want) > 0)
			}
		})
	}
}

// A queue form's callback part: nothing set is no callback; settings
// are read as typed; a count that is not one names its field.
func TestCallbackFrom(t *testing.T) {
	cases := []struct {
		name  string
		form  url.Values
		want  *service.CallbackSpec
		field string
	}{
		{"nothing set", url.Values{"name": {"Billing"}, "callback.attempts": {" "}}, nil, ""},
		{"enabled", url.Values{"callback.enabled": {"on"}, "callback.threshold": {" 2m "}, "callback.caller_id": {"+14155550100"},
			"callback.trunk": {"carrier"}, "callback.allowed_number_types": {"local", "national"}, "callback.attempts": {"3"},
			"callback.retry_after": {"1m"}, "callback.dial_timeout": {"20s"}},
			&service.CallbackSpec{Enabled: true, Threshold: "2m", CallerID: "+14155550100", Trunk: "carrier",
				AllowedNumberTypes: []string{"local", "national"}, Attempts: 3, RetryAfter: "1m", DialTimeout: "20s"}, ""},
		{"kept while off", url.Values{"callback.threshold": {"5m"}}, &service.CallbackSpec{Threshold: "5m"}, ""},
		{"attempts not a number", url.Values{"callback.enabled": {"on"}, "callback.attempts": {"three"}}, nil, "callback.attempts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := callbackFrom(c.form)
			if c.field != "" {
				var se *service.Error
				if !errors.As(err, &se) || se.Field != c.field {
					t.Fatalf("error %v; want one naming %s", err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("read %+v; want %+v", got, c.want)
			}
		})
	}
}

// A refused queue form draws the refusal beside the field it names,
// not again above the form, with what was typed kept; a refusal naming
// no field stays above.
func TestQueueFormRefusalBesideField(t *testing.T) {
	p := &Pages{pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}}
	p.parseAdmin("admin-queues", "queue-form")
	p.parseAdmin("admin-queue", "queue-form")
	admin := &service.Actor{UserID: "root", Role: directory.Administrator}
	// The new queue's form on the queues' page, billing's on its own.
	draw := func(f formState) string {
		t.Helper()
		s := session{actor: admin}
		spec := service.QueueSpec{ID: "billing", Name: "Billing", Callback: &service.CallbackSpec{Threshold: "2m"}}
		var none service.QueueChoices
		var buf bytes.Buffer
		for _, pg := range []struct {
			name string
			data any
		}{
			{"admin-queues", queuesData{Manage: true, New: queueFormOf(f, newForm(s, f, "new", "/admin/queues", "Create queue"), service.QueueSpec{Type: "standard"}, none),
				Queues: []queueRow{{Queue: service.Queue{ID: "billing", Source: "database"}, Editable: true}}}},
			{"admin-queue", queueRow{Queue: service.Queue{ID: "billing", Source: "database"}, Editable: true,
				Form: queueFormOf(f, newForm(s, f, "queue:billing", "/admin/queues/billing", "Save billing"), spec, none)}},
		} {
			if err := p.pages[pg.name].ExecuteTemplate(&buf, "layout.html", view{Title: "Queues", Session: s, Data: pg.data}); err != nil {
				t.Fatal(err)
			}
		}
		return buf.String()
	}
	const msg = `callback.threshold: "soon" is not a duration`
	page := draw(formState{Form: "queue:billing", Typed: url.Values{"callback.threshold": {"soon"}}, Field: "callback.threshold", Msg: msg})
	escaped := template.HTMLEscapeString(msg)
	if n := strings.Count(page, escaped); n != 1 {
		t.Fatalf("the refusal is drawn %d times; want once:\n%s", n, page)
	}
	input := `<input id="callback-threshold-queue:billing" name="callback.threshold" value="soon" aria-invalid="true">`
	i := strings.Index(page, input)
	if i < 0 {
		t.Fatalf("no threshold field holding what was typed, marked invalid:\n%s", page)
	}
	if next := strings.TrimSpace(page[i+len(input):]); !strings.HasPrefix(next, `<p class="error form-error field-error"`) || !strings.Contains(next[:200], escaped) {
		t.Errorf("the refusal is not beside the threshold field:\n%s", page[i:])
	}
	if !strings.Contains(page, `<input id="callback-threshold-new" name="callback.threshold" value="">`) {
		t.Error("the new queue form does not keep its own, empty, threshold")
	}

	whole := "queue \"billing\": callback.trunk \"x\" does not exist in trunks"
	page = draw(formState{Form: "queue:billing", Typed: url.Values{}, Msg: whole})
	if !strings.Contains(page, `<p class="error form-error" role="alert" data-testid="form-error">`+template.HTMLEscapeString(whole)) {
		t.Errorf("a refusal naming no field is not drawn above the form:\n%s", page)
	}
}
