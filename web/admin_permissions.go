package web

import (
	"net/http"
	"slices"

	"github.com/acdserver/acd/service"
)

// permissionsData is each role's grantable permissions, as the service
// reports them, with whether each differs from its default.
type permissionsData struct {
	Roles []service.RolePermissions
	CSRF  string
}

func (p *Pages) permissionsPage() adminPage {
	return adminPage{name: "admin-permissions", title: "Permissions", path: "/admin/permissions", need: service.ManagePermissions,
		data: func(r *http.Request, s session, _ formState) (any, error) {
			roles, err := p.svc.Permissions(r.Context(), s.actor)
			if err != nil {
				return nil, err
			}
			return permissionsData{Roles: roles, CSRF: s.csrf()}, nil
		}}
}

func (p *Pages) routesAdminPermissions(mux *http.ServeMux) {
	pg := p.permissionsPage()
	p.parseAdmin("admin-permissions")
	mux.Handle("GET /admin/permissions", p.page(pg))
	mux.Handle("POST /admin/permissions/restore", p.admin(pg.need, p.restorePermissions))
	mux.Handle("POST /admin/permissions/{role}", p.admin(pg.need, p.setPermissions))
}

// setPermissions takes a role's form of checkboxes: each permission whose
// box differs from what the role has now is granted or revoked.
func (p *Pages) setPermissions(w http.ResponseWriter, r *http.Request, s session) {
	role := r.PathValue("role")
	roles, err := p.svc.Permissions(r.Context(), s.actor)
	if err == nil {
		i := slices.IndexFunc(roles, func(rp service.RolePermissions) bool { return rp.Role == role })
		if i < 0 {
			err = service.InvalidField("role", "no role %q with grantable permissions", role)
		} else {
			granted := r.PostForm["granted"]
			for _, perm := range roles[i].Permissions {
				want := slices.Contains(granted, perm.Name)
				if want == perm.Granted {
					continue
				}
				if err = p.svc.SetPermission(r.Context(), s.actor, role, perm.Name, want); err != nil {
					break
				}
			}
		}
	}
	p.afterAdmin(w, r, s, p.permissionsPage(), "", err)
}

// restorePermissions puts one role's permissions (role empty: every
// role's) back to their defaults.
func (p *Pages) restorePermissions(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.RestoreDefaults(r.Context(), s.actor, r.PostFormValue("role"))
	p.afterAdmin(w, r, s, p.permissionsPage(), "", err)
}
