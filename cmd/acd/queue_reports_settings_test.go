package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acdserver/acd/internal/browser"
	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/store"
)

// TestQueueReportSettingsThroughAPIAndForm: a queue made through the API
// carries its own service level and short-abandon setting, as the file's
// queues do; a bad value is a 422 naming the field; the reports measure
// the queue's callers by them (a caller who hangs up within the
// short-abandon time is a short abandon); and the administrator's form
// edits them, refusing a bad one beside its field.
func TestQueueReportSettingsThroughAPIAndForm(t *testing.T) {
	t.Parallel()
	s, as, b := adminConsole(t)
	admin := as["admin"]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, bad := range []struct {
		field string
		body  map[string]any
	}{
		{"service_level.threshold", map[string]any{"id": "x1", "service_level": map[string]any{"threshold": "soon"}}},
		{"service_level.target", map[string]any{"id": "x2", "service_level": map[string]any{"target": 0.8}}},
		{"short_abandon", map[string]any{"id": "x3", "short_abandon": "brief"}},
	} {
		code, body, _ := admin.do(t, "POST", "/queues", bad.body)
		if code != 422 || !strings.Contains(string(body), bad.field) {
			t.Errorf("creating a queue with a bad %s: %d %s; want a 422 naming it", bad.field, code, body)
		}
	}
	admin.expect(t, "POST", "/queues", map[string]any{"id": "billing", "name": "Billing",
		"service_level": map[string]any{"threshold": "30s", "target": 90}, "short_abandon": "5s"}, 201, nil)
	var spec struct {
		ServiceLevel *struct {
			Threshold string
			Target    float64
		} `json:"service_level"`
		ShortAbandon string `json:"short_abandon"`
	}
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if spec.ServiceLevel == nil || spec.ServiceLevel.Threshold != "30s" || spec.ServiceLevel.Target != 90 || spec.ShortAbandon != "5s" {
		t.Fatalf("the API reads billing's report settings as %+v; want 30s, 90 and 5s", spec)
	}

	// A caller of billing who hangs up at once is a short abandon.
	admin.expect(t, "PUT", "/dialplans/billing", map[string]string{"yaml": "entry: q\nnodes:\n  q: {type: queue, queue: billing, timeout: 60s, on_timeout: bye, on_exit: bye}\n  bye: {type: hangup}\n"}, 200, nil)
	admin.expect(t, "PUT", "/numbers/300", map[string]string{"dialplan": "billing"}, 200, nil)
	caller := dialAs(t, ctx, s, "300", "+14155550123")
	eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:"))
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{Queue: "billing"}, has("caller.joined:", "caller.abandoned:"))
	from := time.Now().Add(-time.Hour).UTC()
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {from.Add(2 * time.Hour).Format(time.RFC3339)}, "queue": {"billing"}}
	var qc report.QueueCallers
	admin.expect(t, "GET", "/reports/queue-callers?"+q.Encode(), nil, 200, &qc)
	if qc.Totals.Offered != 1 || qc.Totals.ShortAbandoned != 1 || qc.Totals.Abandoned != 0 || qc.Totals.ThresholdSeconds != 30 {
		t.Errorf("billing's report: %+v; want one caller, a short abandon, measured against 30 s", qc.Totals)
	}

	// The form: a bad target is refused beside its field, what was typed
	// kept; a good one is saved.
	form := `form[data-form="queue:billing"] `
	b.Open(t, "/admin/queues/billing")
	if v := b.Value(t, form+`input[name="service_level.threshold"]`); v != "30s" {
		t.Fatalf("billing's form holds threshold %q; want 30s", v)
	}
	b.Run(t, "typing a bad target",
		chromedp.SetValue(chromedp.CSS(form+`input[name="service_level.target"]`), "0.5"),
		chromedp.SetValue(chromedp.CSS(form+`input[name="short_abandon"]`), "3s"),
		browser.ClickOn(form+`button[type=submit]`))
	beside := form + `input[name="service_level.target"] + [data-testid=form-error]`
	b.WaitText(t, beside, "service_level.target", adminWait)
	if got := b.Value(t, form+`input[name="short_abandon"]`); got != "3s" {
		t.Errorf("after the refusal short_abandon holds %q; want 3s as typed", got)
	}
	b.Run(t, "correcting the target", chromedp.SetValue(chromedp.CSS(form+`input[name="service_level.target"]`), "85%"),
		browser.ClickOn(form+`button[type=submit]`))
	b.WaitJS(t, "the saved form", `document.querySelector('`+form+`input[name="service_level.target"]').value === "85" && !document.querySelector('`+form+`[data-testid=form-error]')`, adminWait)
	admin.expect(t, "GET", "/queues/billing", nil, 200, &spec)
	if spec.ServiceLevel == nil || spec.ServiceLevel.Target != 85 || spec.ServiceLevel.Threshold != "30s" || spec.ShortAbandon != "3s" {
		t.Errorf("after saving the form the API reads %+v; want 30s, 85 and 3s", spec)
	}
	b.Clean(t)
}
