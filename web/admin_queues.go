package web

import (
	"net/http"
	"strconv"

	"github.com/acdserver/acd/service"
)

// queuesData is the queues page: every queue with where it is defined
// (the file's are read-only here), a form for each made here, and the
// form for a new one with the next free extension proposed.
type queuesData struct {
	Queues []queueRow
	New    queueForm
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
	EndWrapUp                           bool
	Types, Strategies                   []string
}

func (p *Pages) queuesPage() adminPage {
	return adminPage{name: "admin-queues", title: "Queues", path: "/admin/queues", data: p.queuesData}
}

func (p *Pages) routesAdminQueues(mux *http.ServeMux) {
	p.parseAdmin("admin-queues")
	mux.Handle("GET /admin/queues", p.page(p.queuesPage()))
	mux.Handle("POST /admin/queues", p.admin(p.createQueue))
	mux.Handle("POST /admin/queues/{id}", p.admin(p.replaceQueue))
	mux.Handle("POST /admin/queues/{id}/delete", p.admin(p.deleteQueue))
}

func (p *Pages) queuesData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Queues(s.actor)
	if err != nil {
		return nil, err
	}
	ext, err := p.svc.ProposedExtension(s.actor)
	if err != nil {
		return nil, err
	}
	d := queuesData{New: queueFormOf(f, newForm(s, f, "new", "/admin/queues", "Create queue"), service.QueueSpec{Extension: ext, Type: "standard"})}
	for _, q := range list {
		row := queueRow{Queue: q, Editable: q.Source == "database"}
		if row.Editable {
			spec, err := p.svc.QueueSettings(s.actor, q.ID)
			if err != nil {
				return nil, err
			}
			key := "queue:" + q.ID
			row.Form = queueFormOf(f, newForm(s, f, key, "/admin/queues/"+q.ID, "Save "+q.ID), spec)
		}
		d.Queues = append(d.Queues, row)
	}
	return d, nil
}

// queueFormOf fills a queue's form from its settings, or from what was
// typed when this form was refused.
func queueFormOf(f formState, fm form, q service.QueueSpec) queueForm {
	k := fm.Key
	return queueForm{form: fm, Types: []string{"standard", "icr"},
		Strategies: []string{"", "longest-idle", "round-robin", "ring-all", "fewest-calls", "linear", "random"},
		ID:         f.value(k, "id", q.ID), Name: f.value(k, "name", q.Name), Extension: f.value(k, "extension", q.Extension),
		Type: f.value(k, "type", q.Type), Strategy: f.value(k, "strategy", q.Strategy),
		RingTimeout: f.value(k, "ring_timeout", q.RingTimeout), WrapUp: f.value(k, "wrap_up", q.WrapUp),
		AnnounceEvery: f.value(k, "announce_every", q.AnnounceEvery), HoldMusic: f.value(k, "hold_music", q.HoldMusic),
		MaxNoAnswer: f.value(k, "max_no_answer", count(q.MaxNoAnswer)), Weight: f.value(k, "weight", count(q.Weight)),
		EndWrapUp: f.checked(k, "end_wrap_up", "on", q.EndWrapUp)}
}

// count is a whole-number setting in its field: empty for zero, the
// default.
func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// specFrom reads a queue's form over the settings it had, so that those
// the form does not show (callback) are kept.
func specFrom(r *http.Request, q service.QueueSpec) (service.QueueSpec, error) {
	q.Name, q.Extension = r.PostFormValue("name"), r.PostFormValue("extension")
	q.Type, q.Strategy = r.PostFormValue("type"), r.PostFormValue("strategy")
	q.RingTimeout, q.WrapUp = r.PostFormValue("ring_timeout"), r.PostFormValue("wrap_up")
	q.AnnounceEvery, q.HoldMusic = r.PostFormValue("announce_every"), r.PostFormValue("hold_music")
	q.EndWrapUp = ticked(r, "end_wrap_up")
	var err error
	if q.MaxNoAnswer, err = number(r, "max_no_answer"); err != nil {
		return q, err
	}
	if q.Weight, err = number(r, "weight"); err != nil {
		return q, err
	}
	return q, nil
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
	p.afterAdmin(w, r, s, p.queuesPage(), "queue:"+id, err)
}

func (p *Pages) deleteQueue(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.DeleteQueue(r.Context(), s.actor, r.PathValue("id"))
	p.afterAdmin(w, r, s, p.queuesPage(), "", err)
}
