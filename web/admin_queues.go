package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/acdserver/acd/service"
)

// queuesData is the queues page: every queue the user sees with where it
// is defined (the file's are read-only here), a form for each made here,
// and, for those who create queues, the form for a new one with the next
// free extension proposed and a delete button on each.
type queuesData struct {
	Queues []queueRow
	New    queueForm
	// Manage: the user creates and deletes queues; others with the
	// section only change the settings of the queues they see.
	Manage bool
}

type queueRow struct {
	service.Queue
	// Editable: made here and kept in the database; the file's queues
	// are changed in the file.
	Editable bool
	Form     queueForm
}

// queueForm is the settings a queue's form shows; left empty, a setting
// takes its default.
type queueForm struct {
	form
	ID, Name, Extension, Type, Strategy string
	RingTimeout, WrapUp, AnnounceEvery  string
	HoldMusic, MaxNoAnswer, Weight      string
	Announcement                        string
	SLThreshold, SLTarget, ShortAbandon string
	Recording                           string
	EndWrapUp                           bool
	Types, Strategies, Recordings       []string
	Callback                            callbackForm
	// HoldMusicChoices, AnnouncementChoices and TrunkChoices are what the
	// hold music, the announcement and the callback's trunk are chosen
	// among: those that exist, and the value the queue has even when it
	// no longer does.
	HoldMusicChoices    []string
	AnnouncementChoices []string
	TrunkChoices        []trunkChoice
}

// trunkChoice is a trunk a callback may go out through; Gone: the
// queue names it but it no longer exists.
type trunkChoice struct {
	ID, CallerID string
	Gone         bool
}

// callbackForm is a queue's callback settings in its form, the fields
// named as the service names them when it refuses one.
type callbackForm struct {
	Enabled                              bool
	Threshold, CallerID, Trunk, Attempts string
	RetryAfter, DialTimeout              string
	NumberTypes                          map[string]bool
	AllNumberTypes                       []string
}

// queueFields are the fields of a queue's form, each with its refusal
// drawn beside it.
var queueFields = []string{"id", "name", "extension", "type", "strategy", "ring_timeout", "wrap_up", "end_wrap_up",
	"max_no_answer", "weight", "hold_music", "announce_every", "announcement", "service_level.threshold", "service_level.target", "short_abandon", "recording", "callback.enabled", "callback.threshold", "callback.caller_id",
	"callback.trunk", "callback.allowed_number_types", "callback.attempts", "callback.retry_after", "callback.dial_timeout"}

// Above is the refusal drawn at the top of the form: one that names none
// of its fields (a configuration that does not validate, a conflict).
func (q queueForm) Above() string {
	if slices.Contains(queueFields, q.Problem.Field) {
		return ""
	}
	return q.Error()
}

// callbackNumberTypes are the kinds of number a queue may call back, in
// the configuration's words; emergency numbers never are.
var callbackNumberTypes = []string{"local", "national", "toll_free", "premium", "international"}

func (p *Pages) queuesPage() adminPage {
	return adminPage{name: "admin-queues", title: "Queues", path: "/admin/queues", need: service.ChangeQueues, data: p.queuesData}
}

// queueSettingsPage is one queue's own page, its settings' form on it.
func (p *Pages) queueSettingsPage(id string) adminPage {
	return adminPage{name: "admin-queue", title: "Queue " + id, path: "/admin/queues/" + id, need: service.ChangeQueues, data: p.queueSettingsData}
}

func (p *Pages) routesAdminQueues(mux *http.ServeMux) {
	pg := p.queuesPage()
	p.parseAdmin("admin-queues", "queue-form")
	p.parseAdmin("admin-queue", "queue-form")
	mux.Handle("GET /admin/queues", p.page(pg))
	// A queue of the configuration file is shown as the file has it,
	// read-only; one made here gets its form.
	settings := p.adminView(pg.need, func(w http.ResponseWriter, r *http.Request, s session) {
		p.showAdmin(w, r, s, p.queueSettingsPage(r.PathValue("id")), http.StatusOK, formState{})
	})
	mux.Handle("GET /admin/queues/{id}", p.signedIn(func(w http.ResponseWriter, r *http.Request, s session) {
		o, err := p.svc.FileObject(r.Context(), s.actor, "queue", r.PathValue("id"))
		var e *service.Error
		switch {
		case err == nil:
			p.showFileObject(w, r, s, o, pg.path, "Queues")
		case errors.As(err, &e) && e.Kind == service.NotFound:
			settings.ServeHTTP(w, r)
		default:
			p.fail(w, r, s, err)
		}
	}))
	mux.Handle("POST /admin/queues", p.admin(pg.need, p.createQueue))
	mux.Handle("POST /admin/queues/{id}", p.admin(pg.need, p.replaceQueue))
	mux.Handle("POST /admin/queues/{id}/delete", p.admin(pg.need, p.confirmFirst(pg.path, named("queue"), p.deleteQueue)))
}

func (p *Pages) queuesData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Queues(s.actor)
	if err != nil {
		return nil, err
	}
	d := queuesData{Manage: s.actor.May(service.ManageQueues)}
	if d.Manage {
		ext, err := p.svc.ProposedExtension(s.actor)
		if err != nil {
			return nil, err
		}
		choices, err := p.svc.QueueChoices(s.actor)
		if err != nil {
			return nil, err
		}
		d.New = queueFormOf(f, newForm(s, f, "new", "/admin/queues", "Create queue"), service.QueueSpec{Extension: ext, Type: "standard"}, choices)
	}
	for _, q := range list {
		d.Queues = append(d.Queues, queueRow{Queue: q, Editable: q.Source == "database"})
	}
	return d, nil
}

// queueSettingsData is one queue's page: its form when it was made here,
// where it is defined when the file owns it.
func (p *Pages) queueSettingsData(r *http.Request, s session, f formState) (any, error) {
	id := r.PathValue("id")
	list, err := p.svc.Queues(s.actor)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(q service.Queue) bool { return q.ID == id })
	spec, err := p.svc.QueueSettings(s.actor, id)
	if err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, fmt.Errorf("queue %q has settings but is not listed", id)
	}
	row := queueRow{Queue: list[i], Editable: list[i].Source == "database"}
	if row.Editable {
		choices, err := p.svc.QueueChoices(s.actor)
		if err != nil {
			return nil, err
		}
		row.Form = queueFormOf(f, newForm(s, f, "queue:"+id, "/admin/queues/"+id, "Save "+id), spec, choices)
	}
	return row, nil
}

// queueFormOf fills a queue's form from its settings, or from what was
// typed when this form was refused.
func queueFormOf(f formState, fm form, q service.QueueSpec, choices service.QueueChoices) queueForm {
	k := fm.Key
	form := queueForm{form: fm, Types: []string{"standard", "icr"},
		Strategies: []string{"", "longest-idle", "round-robin", "ring-all", "fewest-calls", "linear", "random"},
		ID:         f.value(k, "id", q.ID), Name: f.value(k, "name", q.Name), Extension: f.value(k, "extension", q.Extension),
		Type: f.value(k, "type", q.Type), Strategy: f.value(k, "strategy", q.Strategy),
		RingTimeout: f.value(k, "ring_timeout", q.RingTimeout), WrapUp: f.value(k, "wrap_up", q.WrapUp),
		AnnounceEvery: f.value(k, "announce_every", q.AnnounceEvery), HoldMusic: f.value(k, "hold_music", q.HoldMusic),
		Announcement: f.value(k, "announcement", q.Announcement),
		MaxNoAnswer:  f.value(k, "max_no_answer", count(q.MaxNoAnswer)), Weight: f.value(k, "weight", count(q.Weight)),
		EndWrapUp: f.checked(k, "end_wrap_up", "on", q.EndWrapUp), Callback: callbackFormOf(f, k, q.Callback),
		ShortAbandon: f.value(k, "short_abandon", q.ShortAbandon), Recording: f.value(k, "recording", q.Recording),
		Recordings: []string{"", "always", "on_demand"}}
	sl := q.ServiceLevel
	if sl == nil {
		sl = &service.ServiceLevelSpec{}
	}
	form.SLThreshold = f.value(k, "service_level.threshold", sl.Threshold)
	target := ""
	if sl.Target > 0 {
		target = strconv.FormatFloat(sl.Target, 'f', -1, 64)
	}
	form.SLTarget = f.value(k, "service_level.target", target)
	form.HoldMusicChoices = append([]string{""}, choices.Prompts...)
	if !slices.Contains(form.HoldMusicChoices, form.HoldMusic) {
		form.HoldMusicChoices = append(form.HoldMusicChoices, form.HoldMusic)
	}
	form.AnnouncementChoices = append([]string{""}, choices.Prompts...)
	if !slices.Contains(form.AnnouncementChoices, form.Announcement) {
		form.AnnouncementChoices = append(form.AnnouncementChoices, form.Announcement)
	}
	for _, t := range choices.Trunks {
		form.TrunkChoices = append(form.TrunkChoices, trunkChoice{ID: t.ID, CallerID: t.CallerID})
	}
	if tr := form.Callback.Trunk; tr != "" && !slices.ContainsFunc(choices.Trunks, func(t service.TrunkChoice) bool { return t.ID == tr }) {
		form.TrunkChoices = append(form.TrunkChoices, trunkChoice{ID: tr, Gone: true})
	}
	return form
}

// callbackFormOf fills the callback part of a queue's form, as
// queueFormOf does the rest.
func callbackFormOf(f formState, k string, cb *service.CallbackSpec) callbackForm {
	if cb == nil {
		cb = &service.CallbackSpec{}
	}
	return callbackForm{AllNumberTypes: callbackNumberTypes,
		Enabled:   f.checked(k, "callback.enabled", "on", cb.Enabled),
		Threshold: f.value(k, "callback.threshold", cb.Threshold), CallerID: f.value(k, "callback.caller_id", cb.CallerID),
		Trunk: f.value(k, "callback.trunk", cb.Trunk), Attempts: f.value(k, "callback.attempts", count(cb.Attempts)),
		RetryAfter: f.value(k, "callback.retry_after", cb.RetryAfter), DialTimeout: f.value(k, "callback.dial_timeout", cb.DialTimeout),
		NumberTypes: f.choices(k, "callback.allowed_number_types", cb.AllowedNumberTypes)}
}

// count is a whole-number setting in its field: empty for zero, the
// default.
func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// specFrom reads a queue's form over the settings it had.
func specFrom(r *http.Request, q service.QueueSpec) (service.QueueSpec, error) {
	q.Name, q.Extension = r.PostFormValue("name"), r.PostFormValue("extension")
	q.Type, q.Strategy = r.PostFormValue("type"), r.PostFormValue("strategy")
	q.RingTimeout, q.WrapUp = r.PostFormValue("ring_timeout"), r.PostFormValue("wrap_up")
	q.AnnounceEvery, q.HoldMusic = r.PostFormValue("announce_every"), r.PostFormValue("hold_music")
	q.Announcement = r.PostFormValue("announcement")
	q.EndWrapUp = ticked(r, "end_wrap_up")
	var err error
	if q.MaxNoAnswer, err = number(r, "max_no_answer"); err != nil {
		return q, err
	}
	if q.Weight, err = number(r, "weight"); err != nil {
		return q, err
	}
	q.ShortAbandon = strings.TrimSpace(r.PostFormValue("short_abandon"))
	if q.Recording = r.PostFormValue("recording"); q.Recording == "never" {
		q.Recording = ""
	}
	if q.ServiceLevel, err = serviceLevelFrom(r.PostForm); err != nil {
		return q, err
	}
	q.Callback, err = callbackFrom(r.PostForm)
	return q, err
}

// serviceLevelFrom reads the service-level part of a queue's form;
// both left empty is the defaults.
func serviceLevelFrom(form url.Values) (*service.ServiceLevelSpec, error) {
	sl := &service.ServiceLevelSpec{Threshold: strings.TrimSpace(form.Get("service_level.threshold"))}
	if v := strings.TrimSuffix(strings.TrimSpace(form.Get("service_level.target")), "%"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, service.InvalidField("service_level.target", "want a percentage, like 80")
		}
		sl.Target = n
	}
	if sl.Threshold == "" && sl.Target == 0 {
		return nil, nil
	}
	return sl, nil
}

// callbackFrom reads the callback part of a queue's form: nothing ticked
// or typed is a queue without callback; settings typed with callback
// off are kept for when it is turned on.
func callbackFrom(form url.Values) (*service.CallbackSpec, error) {
	cb := &service.CallbackSpec{Enabled: form.Get("callback.enabled") != "",
		Threshold: strings.TrimSpace(form.Get("callback.threshold")), CallerID: strings.TrimSpace(form.Get("callback.caller_id")),
		Trunk: strings.TrimSpace(form.Get("callback.trunk")), AllowedNumberTypes: form["callback.allowed_number_types"],
		RetryAfter: strings.TrimSpace(form.Get("callback.retry_after")), DialTimeout: strings.TrimSpace(form.Get("callback.dial_timeout"))}
	if v := strings.TrimSpace(form.Get("callback.attempts")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, service.InvalidField("callback.attempts", "want a whole number")
		}
		cb.Attempts = n
	}
	if !cb.Enabled && cb.Threshold == "" && cb.CallerID == "" && cb.Trunk == "" && len(cb.AllowedNumberTypes) == 0 &&
		cb.Attempts == 0 && cb.RetryAfter == "" && cb.DialTimeout == "" {
		return nil, nil
	}
	return cb, nil
}

func (p *Pages) createQueue(w http.ResponseWriter, r *http.Request, s session) {
	q, err := specFrom(r, service.QueueSpec{ID: r.PostFormValue("id")})
	if err == nil {
		_, err = p.svc.CreateQueue(r.Context(), s.actor, q)
	}
	p.afterAdmin(w, r, s, p.queuesPage(), "new", err)
}

func (p *Pages) replaceQueue(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	cur, err := p.svc.QueueSettings(s.actor, id)
	if err == nil {
		var q service.QueueSpec
		if q, err = specFrom(r, cur); err == nil {
			_, err = p.svc.ReplaceQueue(r.Context(), s.actor, q)
		}
	}
	p.afterAdmin(w, r, s, p.queueSettingsPage(id), "queue:"+id, err)
}

func (p *Pages) deleteQueue(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.DeleteQueue(r.Context(), s.actor, r.PathValue("id"))
	p.afterAdmin(w, r, s, p.queuesPage(), "", err)
}
