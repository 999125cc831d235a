package web

import (
	"net/http"

	"github.com/acdserver/acd/service"
)

// settingsData is the organisation settings and who owns them.
type settingsData struct {
	service.Settings
	CSRF string
}

// FileOwned says the configuration file sets the setting: the page shows
// it read-only, with the file's FILE:LINE.
func (d settingsData) FileOwned() bool { return d.Source != "database" && d.Source != "default" }

func (p *Pages) settingsPage() adminPage {
	return adminPage{name: "admin-settings", title: "Organisation", path: "/admin/settings", need: service.ManageSettings,
		data: func(r *http.Request, s session, _ formState) (any, error) {
			st, err := p.svc.Settings(r.Context(), s.actor)
			if err != nil {
				return nil, err
			}
			return settingsData{Settings: st, CSRF: s.csrf()}, nil
		}}
}

func (p *Pages) routesAdminSettings(mux *http.ServeMux) {
	pg := p.settingsPage()
	p.parseAdmin("admin-settings")
	mux.Handle("GET /admin/settings", p.page(pg))
	mux.Handle("POST /admin/settings", p.admin(pg.need, func(w http.ResponseWriter, r *http.Request, s session) {
		_, err := p.svc.SetSettings(r.Context(), s.actor, ticked(r, "allow_unassigned_login"))
		p.afterAdmin(w, r, s, p.settingsPage(), "", err)
	}))
}
