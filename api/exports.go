package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/report"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// The export endpoints answer files (a zip of CSV files, a queue_log),
// which huma's typed responses do not stream well; they are plain
// handlers, mounted beside the API under the same prefix, signed in the
// same way (a bearer token or the session cookie) and answering errors
// in the API's JSON form. They are GETs without effects, so, as for the
// API's other GETs, a cookie needs no CSRF token.

// ReportSource is what the exports read: the reports and the rows behind
// them, each filtered by what the actor may see (the service's checks).
type ReportSource interface {
	QueueCallers(ctx context.Context, a *service.Actor, f report.Filter) (report.QueueCallers, error)
	// QueueCallerList lists the stays behind the report; outcome "" is
	// every stay.
	QueueCallerList(ctx context.Context, a *service.Actor, f report.Filter, outcome string) ([]report.Stint, error)
	AgentPerformance(ctx context.Context, a *service.Actor, f report.Filter) (report.AgentPerformance, error)
	AgentIntervals(ctx context.Context, a *service.Actor, f report.Filter) ([]report.Interval, error)
	// QueueLogEvents are the events of the period a queue_log is made
	// of, in log order, narrowed by report.QueueLogSelect (agent.state
	// events carry no queue, and PAUSE lines come from them).
	QueueLogEvents(ctx context.Context, a *service.Actor, f report.Filter) ([]store.Event, error)
}

// Authenticator resolves a bearer secret or session cookie to its actor:
// (*service.Service).Authenticate.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*service.Actor, error)
}

// The reports an export can hold, in the order their files are written.
const (
	ExportQueueCallers     = "queue-callers"
	ExportAgentPerformance = "agent-performance"
)

func exportReports() []string { return []string{ExportQueueCallers, ExportAgentPerformance} }

// ExportsHandler answers GET /api/v1/exports: a zip with, for each
// report= asked for, its summary and detail CSV, and definitions.csv.
// The filter is ParseReportFilter's.
func ExportsHandler(auth Authenticator, src ReportSource, log *slog.Logger) http.Handler {
	log = orDiscard(log)
	return exportHandler(auth, log, func(w http.ResponseWriter, r *http.Request, a *service.Actor) {
		reports, err := parseReports(r.URL.Query()["report"])
		f, ferr := ParseReportFilter(r.URL.Query())
		if err := joinInvalid(err, ferr); err != nil {
			writeProblem(w, err)
			return
		}
		ctx := r.Context()
		// Everything is read before the first byte is sent, so that a
		// refusal or a failure still has its status.
		var files []report.File
		var names []string
		now := time.Now().In(f.Location)
		add := func(name string, write func(io.Writer) error) {
			files = append(files, report.File{Name: name, Write: write, Modified: now})
			names = append(names, name)
		}
		for _, rep := range reports {
			switch rep {
			case ExportQueueCallers:
				qc, err := src.QueueCallers(ctx, a, f)
				if err != nil {
					writeProblem(w, sourceError(ctx, log, a, "queue callers", err))
					return
				}
				stints, err := src.QueueCallerList(ctx, a, f, "")
				if err != nil {
					writeProblem(w, sourceError(ctx, log, a, "queue callers' stays", err))
					return
				}
				add(report.QueueCallersSummaryCSV, func(w io.Writer) error { return report.WriteQueueCallersSummary(w, qc) })
				add(report.QueueCallersDetailCSV, func(w io.Writer) error { return report.WriteQueueCallersDetail(w, stints, f.Location) })
			case ExportAgentPerformance:
				ap, err := src.AgentPerformance(ctx, a, f)
				if err != nil {
					writeProblem(w, sourceError(ctx, log, a, "agent performance", err))
					return
				}
				ivs, err := src.AgentIntervals(ctx, a, f)
				if err != nil {
					writeProblem(w, sourceError(ctx, log, a, "agents' intervals", err))
					return
				}
				add(report.AgentPerformanceSummaryCSV, func(w io.Writer) error { return report.WriteAgentPerformanceSummary(w, ap) })
				add(report.AgentPerformanceDetailCSV, func(w io.Writer) error { return report.WriteAgentPerformanceDetail(w, ivs, f.Location) })
			}
		}
		described := slices.Clone(names)
		add(report.DefinitionsCSV, func(w io.Writer) error { return report.WriteDefinitions(w, described) })

		h := w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, exportName("acd-reports", f, ".zip")))
		if err := report.WriteZip(w, files); err != nil {
			// The status is sent; the client sees a truncated archive.
			log.Error("writing an export", "user", a.UserID, "error", err)
		}
	})
}

// QueueLogHandler answers GET /api/v1/exports/queue_log: the period's
// events as Asterisk's queue_log, text/plain.
func QueueLogHandler(auth Authenticator, src ReportSource, log *slog.Logger) http.Handler {
	log = orDiscard(log)
	return exportHandler(auth, log, func(w http.ResponseWriter, r *http.Request, a *service.Actor) {
		f, err := ParseReportFilter(r.URL.Query())
		if err != nil {
			writeProblem(w, err)
			return
		}
		ctx := r.Context()
		evs, err := src.QueueLogEvents(ctx, a, f)
		if err != nil {
			writeProblem(w, sourceError(ctx, log, a, "the queue_log's events", err))
			return
		}
		// Made whole before sending: an event that cannot be read is a
		// 500, not a file that stops short.
		var b bytes.Buffer
		if err := report.WriteQueueLog(&b, evs); err != nil {
			writeProblem(w, sourceError(ctx, log, a, "the queue_log", err))
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, exportName("queue_log", f, "")))
		if _, err := w.Write(b.Bytes()); err != nil {
			log.Debug("sending a queue_log", "user", a.UserID, "error", err)
		}
	})
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// exportHandler signs the request in as the API does, then calls next
// with the actor.
func exportHandler(auth Authenticator, log *slog.Logger, next func(http.ResponseWriter, *http.Request, *service.Actor)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Personal data (callers' numbers): no cache keeps a copy.
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeProblem(w, huma.NewError(http.StatusMethodNotAllowed, "use GET"))
			return
		}
		secret := ""
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, value, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				unauthorizedExport(w, "use Authorization: Bearer TOKEN")
				return
			}
			secret = strings.TrimSpace(value)
		} else if c, err := r.Cookie(SessionCookie); err == nil {
			secret = c.Value
		}
		if secret == "" {
			unauthorizedExport(w, "sign in: no credentials")
			return
		}
		a, err := auth.Authenticate(r.Context(), secret)
		if err != nil {
			var se *service.Error
			if !errors.As(err, &se) {
				log.Error("authenticating a request", "error", err)
				writeProblem(w, huma.Error500InternalServerError("internal error"))
				return
			}
			unauthorizedExport(w, "sign in: the token is unknown, revoked or expired")
			return
		}
		next(w, r, a)
	})
}

func unauthorizedExport(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="acd"`)
	writeProblem(w, huma.Error401Unauthorized(msg))
}

// writeProblem answers an error in the API's form: huma's RFC 9457
// problem document.
func writeProblem(w http.ResponseWriter, err error) {
	var se huma.StatusError
	if !errors.As(err, &se) {
		se = huma.Error500InternalServerError("internal error")
	}
	body, jerr := json.Marshal(se)
	if jerr != nil {
		body = []byte(`{"status":500,"title":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Del("Content-Disposition")
	w.WriteHeader(se.GetStatus())
	w.Write(body)
}

// sourceError turns the service's refusals into statuses, as the API's
// fail does; anything else is the server's own failure, logged here and
// answered without detail.
func sourceError(ctx context.Context, log *slog.Logger, a *service.Actor, what string, err error) error {
	var se *service.Error
	if !errors.As(err, &se) {
		if ctx.Err() != nil {
			return huma.Error503ServiceUnavailable("request cancelled")
		}
		log.Error("export failed", "user", a.UserID, "reading", what, "error", err)
		return huma.Error500InternalServerError("internal error")
	}
	switch se.Kind {
	case service.Invalid:
		where := "query"
		if se.Field != "" {
			where += "." + se.Field
		}
		return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: where, Message: se.Msg})
	case service.Unauthenticated:
		return huma.Error401Unauthorized(se.Msg)
	case service.Forbidden:
		return huma.Error403Forbidden(se.Msg)
	case service.NotFound:
		return huma.Error404NotFound(se.Msg)
	case service.Conflict:
		return huma.Error409Conflict(se.Msg)
	case service.Throttled:
		return huma.Error429TooManyRequests(se.Msg)
	}
	return huma.Error500InternalServerError("internal error")
}

// parseReports reads the report parameter: repeated or comma-separated
// names, at least one; the files follow exportReports' order whatever
// the query's.
func parseReports(values []string) ([]string, error) {
	asked := map[string]bool{}
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(exportReports(), name) {
				return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query.report",
					Message: fmt.Sprintf("%q: want %s", truncate(name, 64), strings.Join(exportReports(), " or "))})
			}
			asked[name] = true
		}
	}
	if len(asked) == 0 {
		return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query.report",
			Message: "missing: the reports to export, " + strings.Join(exportReports(), " and/or ")})
	}
	var out []string
	for _, r := range exportReports() {
		if asked[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// joinInvalid merges 422s so that one answer lists every parameter at
// fault; other errors pass as they are.
func joinInvalid(errs ...error) error {
	var details []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var m *huma.ErrorModel
		if !errors.As(err, &m) || m.Status != http.StatusUnprocessableEntity {
			return err
		}
		for _, d := range m.Errors {
			details = append(details, d)
		}
	}
	if len(details) == 0 {
		return nil
	}
	return huma.Error422UnprocessableEntity("validation failed", details...)
}

// exportName names a download after its period, in the report's zone:
// acd-reports_2026-11-01_2026-12-01.zip. Times that are not midnight
// keep their hour and minute.
func exportName(base string, f report.Filter, ext string) string {
	at := func(t time.Time) string {
		t = t.In(f.Location)
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return t.Format(time.DateOnly)
		}
		return t.Format("2006-01-02T1504")
	}
	return base + "_" + at(f.From) + "_" + at(f.To) + ext
}
