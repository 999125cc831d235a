package web

import (
	"net/http"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// usersData is the users page: every user with its form, and the form
// for a new one. Passwords are never drawn back into a form.
type usersData struct {
	Users   []userRow
	New     userForm
	Problem formState
}

type userRow struct {
	service.User
	Form userForm
}

// userForm is what a user's form shows: the roles to choose from and the
// queues a supervisor may be assigned.
type userForm struct {
	form
	ID, Name, Role string
	Queues         map[string]bool
	Restrict       bool
	Roles          []string
	AllQueues      []service.Queue
}

func (p *Pages) usersPage() adminPage {
	return adminPage{name: "admin-users", title: "Users and roles", path: "/admin/users", need: service.ManageUsers, data: p.usersData}
}

func (p *Pages) routesAdminUsers(mux *http.ServeMux) {
	pg := p.usersPage()
	p.parseAdmin("admin-users")
	mux.Handle("GET /admin/users", p.page(pg))
	mux.Handle("POST /admin/users", p.admin(pg.need, p.createUser))
	mux.Handle("POST /admin/users/{id}", p.admin(pg.need, p.updateUser))
	mux.Handle("POST /admin/users/{id}/delete", p.admin(pg.need, p.confirmFirst(pg.path, named("user"), p.deleteUser)))
}

func (p *Pages) usersData(r *http.Request, s session, f formState) (any, error) {
	list, err := p.svc.Users(r.Context(), s.actor)
	if err != nil {
		return nil, err
	}
	queues, err := p.svc.Queues(s.actor)
	if err != nil {
		return nil, err
	}
	roles := []string{string(directory.Supervisor), string(directory.Agent), string(directory.Administrator)}
	d := usersData{Problem: f}
	d.New = userForm{form: newForm(s, f, "new", "/admin/users", "Create user"), Roles: roles, AllQueues: queues,
		ID: f.value("new", "id", ""), Name: f.value("new", "name", ""),
		Role: f.value("new", "role", string(directory.Supervisor)), Queues: f.choices("new", "queues", nil),
		Restrict: f.checked("new", "restrict", "on", false)}
	for _, u := range list {
		key := "user:" + u.ID
		d.Users = append(d.Users, userRow{User: u, Form: userForm{form: newForm(s, f, key, "/admin/users/"+u.ID, "Save "+u.ID),
			Roles: roles, AllQueues: queues, ID: u.ID, Name: f.value(key, "name", u.Name),
			Role: f.value(key, "role", u.Role), Queues: f.choices(key, "queues", u.Queues),
			Restrict: f.checked(key, "restrict", "on", u.RestrictToAssignedQueues)}})
	}
	return d, nil
}

func (p *Pages) createUser(w http.ResponseWriter, r *http.Request, s session) {
	_, err := p.svc.CreateUser(r.Context(), s.actor, service.NewUser{
		ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Password: r.PostFormValue("password"), Queues: r.PostForm["queues"], RestrictToAssignedQueues: ticked(r, "restrict"),
	})
	p.afterAdmin(w, r, s, p.usersPage(), "new", err)
}

// updateUser changes the name and role, and a supervisor's queues; the
// password only when one is typed (the field is empty otherwise).
func (p *Pages) updateUser(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	name, role := r.PostFormValue("name"), r.PostFormValue("role")
	c := service.UserChange{Name: &name, Role: &role}
	// Queues are a supervisor's to be given here: an agent's are the
	// configuration's, an administrator reaches every queue.
	if role == string(directory.Supervisor) {
		queues, restrict := r.PostForm["queues"], ticked(r, "restrict")
		if queues == nil {
			queues = []string{}
		}
		c.Queues, c.RestrictToAssignedQueues = &queues, &restrict
	}
	if pw := r.PostFormValue("password"); pw != "" {
		c.Password = &pw
	}
	_, err := p.svc.UpdateUser(r.Context(), s.actor, id, c)
	p.afterAdmin(w, r, s, p.usersPage(), "user:"+id, err)
}

func (p *Pages) deleteUser(w http.ResponseWriter, r *http.Request, s session) {
	err := p.svc.DeleteUser(r.Context(), s.actor, r.PathValue("id"))
	p.afterAdmin(w, r, s, p.usersPage(), "", err)
}
