package web

import (
	"net/http"
	"strings"
)

// confirmView asks before a delete: the same form again, with confirm.
type confirmView struct {
	Action, What, Back, CSRF string
}

// confirmFirst asks before a delete: a delete form sent without
// confirm=yes draws a page that asks, whose button sends it again with
// it; cancelling goes back to the section. It takes no script, so the
// strict Content-Security-Policy holds. what names the object from the
// request, as the question words it.
func (p *Pages) confirmFirst(back string, what func(r *http.Request) string, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, s session) {
		if r.PostFormValue("confirm") == "yes" {
			next(w, r, s)
			return
		}
		v := confirmView{Action: r.URL.Path, What: what(r), Back: back, CSRF: s.csrf()}
		p.render(w, r, http.StatusOK, "confirm", view{Title: "Delete " + v.What + "?", Session: s, Data: v})
	}
}

// named words an object for confirmFirst: its noun, and the label its
// delete form sends (a name its id does not say) or else its id.
func named(noun string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if label := strings.TrimSpace(r.PostFormValue("label")); label != "" {
			return noun + " " + label
		}
		return noun + " " + r.PathValue("id")
	}
}

// doneNotice is the confirmation a section's page shows after a change
// redirected to it (?done=saved or deleted).
func doneNotice(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "saved":
		return "Saved."
	case "deleted":
		return "Deleted."
	}
	return ""
}
