package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/store"
)

// TestConsoleReports: after a SIP caller abandons, the supervisor's
// queue-caller report shows the figures with their definitions, the
// caller behind the abandoned count, the heat map, and exports a zip of
// CSV files; an agent may not open the reports.
func TestConsoleReports(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := dialAs(t, ctx, s, "100", "+14155550166")
	s.waitLog(t, 10*time.Second, "caller joined queue", "queue=support")
	_ = caller.Hangup(ctx)
	eventsOf(t, s, store.Filter{Queue: "support"}, has("caller.abandoned:"))

	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	b.Open(t, "/reports/queue-callers")
	b.WaitText(t, `[data-figure="offered"] td.num`, "1", 5*time.Second)
	b.WaitText(t, `[data-figure="abandoned"] td.num`, "1", time.Second)
	if def := b.Text(t, `[data-figure="abandoned"]`); !strings.Contains(def, "A caller who asked for a callback is not abandoned") {
		t.Errorf("the abandoned figure's definition: %q", def)
	}
	b.WaitJS(t, "the heat map", `document.querySelectorAll("svg.heat rect.heat-5").length === 1`, time.Second)
	b.Click(t, `[data-figure="abandoned"] td.num a`)
	b.WaitText(t, "[data-testid=calls]", "+14155550166", 5*time.Second)
	b.WaitText(t, "[data-testid=calls]", "abandoned", time.Second)

	b.Open(t, "/reports/queue-callers")
	href := browser.Get(t, b, "reading the export link", browser.Attr(`a[download][href^="/api/v1/exports?"]`, "href"))
	res := b.Fetch(t, href)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET %s: %d %s", href, res.StatusCode, res.Header.Get("Content-Type"))
	}
	body, _ := io.ReadAll(res.Body)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the export is not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "queue-callers") {
		t.Errorf("the zip holds %v; want the queue-caller files", names)
	}

	b.Open(t, "/reports/agent-performance")
	b.WaitJS(t, "the agents' time chart", `!!document.querySelector("svg.states")`, 5*time.Second)
	b.Open(t, "/reports/conversations")
	b.WaitText(t, "[data-testid=conversations]", "0", 5*time.Second)
	b.Clean(t)

	agent := newBrowser(t, s)
	agent.SignIn(t, "1001", testPassword)
	if st := agent.HTTPStatus(t, "/reports/queue-callers"); st != http.StatusForbidden {
		t.Errorf("an agent opening the reports: %d; want 403", st)
	}
}

// TestConsoleReportLinksKeepTheFilter: on a report filtered to one
// queue, the drill-down from a count lists exactly the callers counted,
// and the tabs carry the period and the queue to the next report.
func TestConsoleReportLinksKeepTheFilter(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, apiYAML))
	users(t, s, setupAdmin(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, c := range []struct{ number, from, queue string }{
		{"100", "+14155550171", "support"},
		{"200", "+14155550172", "sales"},
	} {
		caller := dialAs(t, ctx, s, c.number, c.from)
		s.waitLog(t, 10*time.Second, "caller joined queue", "queue="+c.queue)
		_ = caller.Hangup(ctx)
		eventsOf(t, s, store.Filter{Queue: c.queue}, has("caller.abandoned:"))
	}

	b := newBrowser(t, s)
	b.SignIn(t, "sup", testPassword)
	day := time.Now().UTC().Format(time.DateOnly)
	b.Open(t, "/reports/queue-callers?from="+day+"&to="+day+"&tz=UTC&queue=support")
	b.WaitText(t, `[data-figure="offered"] td.num`, "1", 5*time.Second)
	b.Click(t, `[data-figure="offered"] td.num a`)
	b.WaitText(t, "[data-testid=calls]", "+14155550171", 5*time.Second)
	if calls := b.Text(t, "[data-testid=calls]"); strings.Contains(calls, "+14155550172") {
		t.Errorf("the callers behind Support's offered count list Sales' caller too:\n%s", calls)
	}
	if !b.Is(t, "counting the callers listed", `document.querySelectorAll("[data-testid=calls] tbody tr").length === 1`) {
		t.Errorf("the callers behind an offered count of 1 list another number of rows:\n%s", b.Text(t, "[data-testid=calls]"))
	}
	if back := browser.Get(t, b, "reading the link back", browser.Attr(`a[href^="/reports/queue-callers?"]`, "href")); !strings.Contains(back, "queue=support") {
		t.Errorf("the link back to the report %s forgets the queue", back)
	}

	b.Open(t, "/reports/queue-callers?from="+day+"&to="+day+"&tz=UTC&queue=support")
	b.Click(t, `a[href^="/reports/agent-performance"]`)
	for _, want := range []string{"from=" + day, "to=" + day, "queue=support"} {
		if p := b.Path(t); !strings.Contains(p, want) {
			t.Errorf("the agent-performance tab leads to %s; want it to keep %s", p, want)
		}
	}
	b.Clean(t)
}
