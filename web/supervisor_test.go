package web

import (
	"html/template"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/service"
)

// TestSupervisorFragments: the queue page's live parts draw what users
// typed as text, tag callback requests and tick from the instants given.
func TestSupervisorFragments(t *testing.T) {
	p := &Pages{pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}, views: map[string]liveView{}}
	p.parseWith("supervisor_queue", figuresFile)
	joined := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	v := queueView{CSRF: "tok", QueueOverview: service.QueueOverview{
		Queue: service.Queue{ID: "support", Name: `<img src=x onerror=alert(1)>`},
		Waiting: []service.WaitingCaller{
			{Position: 1, CallID: "c1", Number: `<b>+1415</b>`, Joined: joined},
			{Position: 2, CallID: "c2", Number: "+14155550123", Joined: joined.Add(time.Minute), Callback: true},
		},
		Callers: 1, Callbacks: 1, Oldest: joined,
		Agents: []service.QueueAgent{{AgentState: service.AgentState{ID: "1001", Name: `Al<script>`, State: "paused", Reason: "Lunch",
			StateSince: joined, Queues: []string{"support"}}, InQueue: "paused", Assigned: true, LoggedIn: true}},
	}}
	waiting, err := p.fragment("supervisor_queue", "queue-waiting", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`&lt;b&gt;&#43;1415&lt;/b&gt;`, `<span class="tag">Callback</span>`, `data-since="2026-12-02T09:01:00Z"`} {
		if !strings.Contains(waiting, want) {
			t.Errorf("the waiting list lacks %s:\n%s", want, waiting)
		}
	}
	if strings.Count(waiting, "Callback") != 1 {
		t.Errorf("only the callback request is tagged:\n%s", waiting)
	}
	agents, err := p.fragment("supervisor_queue", "queue-agents", v)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Al&lt;script&gt;`, `Lunch`, `data-since="2026-12-02T09:00:00Z"`, `value="tok"`,
		`Log out of &lt;img src=x onerror=alert(1)&gt;`} {
		if !strings.Contains(agents, want) {
			t.Errorf("the agents lack %s:\n%s", want, agents)
		}
	}
	if strings.Contains(agents+waiting, "<script") || strings.Contains(agents+waiting, "<img") {
		t.Errorf("typed text reached the page as markup:\n%s\n%s", waiting, agents)
	}
}

func TestQueueOf(t *testing.T) {
	r := httptest.NewRequest("GET", "/live?view=queue&queue=support", nil)
	if q := queueOf(r); q != "support" {
		t.Fatalf("queueOf the live stream = %q", q)
	}
	r = httptest.NewRequest("GET", "/supervisor/queues/sales", nil)
	r.SetPathValue("id", "sales")
	if q := queueOf(r); q != "sales" {
		t.Fatalf("queueOf the page = %q", q)
	}
}

// TestSupervisorStateNames: the list of agents and the counters beside
// it call each state by the same name.
func TestSupervisorStateNames(t *testing.T) {
	p := &Pages{pages: map[string]*template.Template{}, livePages: map[string]*template.Template{}, views: map[string]liveView{}}
	p.parseWith("supervisor_queue", figuresFile)
	for _, c := range []struct{ state, figure string }{
		{"offered", "offered"}, {"on-call", "on-call"}, {"wrap-up", "wrap-up"}, {"paused", "paused"}, {"ready", "ready"},
	} {
		o := service.QueueOverview{Queue: service.Queue{ID: "support", Name: "Support"},
			Agents: []service.QueueAgent{{AgentState: service.AgentState{ID: "1001", Name: "Al", State: c.state, Queues: []string{"support"}, Registered: true},
				InQueue: c.state, Assigned: true, LoggedIn: true}}}
		agents, err := p.fragment("supervisor_queue", "queue-agents", queueView{QueueOverview: o})
		if err != nil {
			t.Fatal(err)
		}
		figures, err := p.fragment("supervisor_queue", "queue-figures", o)
		if err != nil {
			t.Fatal(err)
		}
		_, row, _ := strings.Cut(agents, "<strong>")
		listed, _, _ := strings.Cut(row, "</strong>")
		_, fig, _ := strings.Cut(figures, `data-testid="`+c.figure+`"`)
		_, label, _ := strings.Cut(fig, `<span class="l">`)
		label, _, _ = strings.Cut(label, "</span>")
		if !strings.EqualFold(listed, label) {
			t.Errorf("an agent %s is %q in the list and counted as %q", c.state, listed, label)
		}
	}
}
