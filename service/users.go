package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// User is a user as the API shows it: never a password or its hash.
type User struct {
	ID                       string    `json:"id"`
	Name                     string    `json:"name"`
	Role                     string    `json:"role" enum:"administrator,supervisor,agent"`
	Queues                   []string  `json:"queues" doc:"a supervisor's assigned queues (stored here), or an agent's (from the configuration, read-only)"`
	RestrictToAssignedQueues bool      `json:"restrict_to_assigned_queues" doc:"this supervisor sees and acts on its queues only, whatever the role's permission"`
	Created                  time.Time `json:"created"`
	Updated                  time.Time `json:"updated"`
}

// NewUser is a user to create.
type NewUser struct {
	ID, Name, Role, Password string
	Queues                   []string
	RestrictToAssignedQueues bool
}

// UserChange is a partial update: nil fields are left as they are.
type UserChange struct {
	Name                     *string
	Role                     *string
	Password                 *string
	Queues                   *[]string
	RestrictToAssignedQueues *bool
}

// checkText bounds a free-text field and refuses control characters.
func checkText(s string, minLen, maxLen int) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		return errors.New("must not be empty")
	}
	if n > maxLen {
		return fmt.Errorf("at most %d characters", maxLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("holds a control character")
		}
	}
	return nil
}

func (s *Service) view(u store.User) User {
	v := User{ID: u.ID, Name: u.Name, Role: u.Role, Queues: slices.Clone(u.Queues), RestrictToAssignedQueues: u.RestrictQueues, Created: u.Created, Updated: u.Updated}
	if u.Role == string(directory.Agent) {
		v.Queues = slices.Clone(s.directory().agents[u.ID].Queues)
		sort.Strings(v.Queues)
	}
	if v.Queues == nil {
		v.Queues = []string{}
	}
	return v
}

func requireAdmin(a *Actor) error {
	if a == nil {
		return errUnauthenticated
	}
	if !a.is(directory.Administrator) {
		return forbidden("only administrators manage users and permissions")
	}
	return nil
}

// checkAssignment validates the role-dependent fields of a user.
func (s *Service) checkAssignment(id string, role directory.Role, queues []string, queuesGiven, restrict bool) error {
	switch role {
	case directory.Agent:
		a, ok := s.directory().agents[id]
		if !ok {
			return invalid("id", "an agent user's id is the id of an agent of the configuration (the SIP user its phone registers as); there is no agent %q", id)
		}
		if queuesGiven {
			return conflict("the queues of agent %s are set in the configuration at %s; change them there", id, a.Source)
		}
	case directory.Administrator:
		if queuesGiven && len(queues) > 0 {
			return invalid("queues", "administrators are not assigned to queues: they reach every queue")
		}
	}
	if restrict && role != directory.Supervisor {
		return invalid("restrict_to_assigned_queues", "only supervisors are restricted to their queues")
	}
	for _, q := range queues {
		if _, ok := s.directory().queueByID[q]; !ok {
			return invalid("queues", "no queue %q", q)
		}
	}
	return nil
}

// CreateUser adds a user (administrators only).
func (s *Service) CreateUser(ctx context.Context, a *Actor, nu NewUser) (User, error) {
	if err := Authorize(a, ManageUsers); err != nil {
		return User{}, err
	}
	u, err := s.createUser(ctx, nu)
	if err != nil {
		return User{}, err
	}
	s.log.Info("user created", "actor", a.UserID, "user", u.ID, "role", u.Role)
	s.audit(a, "user.created", "", map[string]string{"user": u.ID, "role": u.Role})
	return u, nil
}

// createUser validates and stores a user, for CreateUser, Setup and the
// command line.
func (s *Service) createUser(ctx context.Context, nu NewUser) (User, error) {
	if err := directory.ValidID(nu.ID); err != nil {
		return User{}, invalid("id", "%v", err)
	}
	role, err := directory.ParseRole(nu.Role)
	if err != nil {
		return User{}, invalid("role", "%v", err)
	}
	nu.Name = strings.TrimSpace(nu.Name)
	if nu.Name == "" {
		nu.Name = nu.ID
		if a, ok := s.directory().agents[nu.ID]; ok && role == directory.Agent && a.Name != "" {
			nu.Name = a.Name
		}
	}
	if err := checkText(nu.Name, 1, 128); err != nil {
		return User{}, invalid("name", "%v", err)
	}
	if err := directory.CheckPassword(nu.Password); err != nil {
		return User{}, invalid("password", "%v", err)
	}
	if err := s.checkAssignment(nu.ID, role, nu.Queues, len(nu.Queues) > 0, nu.RestrictToAssignedQueues); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	su := store.User{ID: nu.ID, Name: nu.Name, Role: string(role), PasswordHash: hash, RestrictQueues: nu.RestrictToAssignedQueues,
		Queues: dedupe(nu.Queues), Created: now, Updated: now}
	if err := s.users.Create(ctx, su); errors.Is(err, store.ErrExists) {
		return User{}, conflict("user %q exists", nu.ID)
	} else if err != nil {
		return User{}, err
	}
	return s.view(su), nil
}

// AddUser creates a user on behalf of the command line (acd user add),
// which runs with the server stopped and whoever can run it owns the
// data directory.
func (s *Service) AddUser(ctx context.Context, nu NewUser) (User, error) {
	u, err := s.createUser(ctx, nu)
	if err != nil {
		return User{}, err
	}
	s.auditBy(event.CommandLine(), "user.created", "", map[string]string{"user": u.ID, "role": u.Role})
	return u, nil
}

func dedupe(qs []string) []string {
	out := slices.Clone(qs)
	sort.Strings(out)
	return slices.Compact(out)
}

// Users lists every user (administrators only).
func (s *Service) Users(ctx context.Context, a *Actor) ([]User, error) {
	if err := Authorize(a, ManageUsers); err != nil {
		return nil, err
	}
	list, err := s.users.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(list))
	for _, u := range list {
		out = append(out, s.view(u))
	}
	return out, nil
}

// User reads one user (administrators, and anyone for itself).
func (s *Service) User(ctx context.Context, a *Actor, id string) (User, error) {
	if a == nil {
		return User{}, errUnauthenticated
	}
	if a.UserID != id {
		if err := Authorize(a, ManageUsers); err != nil {
			return User{}, err
		}
	}
	u, err := s.users.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("no user %q", id)
	} else if err != nil {
		return User{}, err
	}
	return s.view(u), nil
}

// UpdateUser changes a user (administrators only). A new password ends
// the user's sessions and revokes its tokens.
func (s *Service) UpdateUser(ctx context.Context, a *Actor, id string, c UserChange) (User, error) {
	if err := Authorize(a, ManageUsers); err != nil {
		return User{}, err
	}
	u, err := s.users.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("no user %q", id)
	} else if err != nil {
		return User{}, err
	}
	var changed []string
	if c.Name != nil {
		name := strings.TrimSpace(*c.Name)
		if err := checkText(name, 1, 128); err != nil {
			return User{}, invalid("name", "%v", err)
		}
		u.Name, changed = name, append(changed, "name")
	}
	if c.Role != nil {
		role, err := directory.ParseRole(*c.Role)
		if err != nil {
			return User{}, invalid("role", "%v", err)
		}
		if string(role) != u.Role {
			if role != directory.Supervisor {
				u.Queues, u.RestrictQueues = nil, false // they meant something for the old role only
			}
			u.Role, changed = string(role), append(changed, "role")
		}
	}
	if c.Queues != nil {
		u.Queues, changed = dedupe(*c.Queues), append(changed, "queues")
	}
	if c.RestrictToAssignedQueues != nil {
		u.RestrictQueues, changed = *c.RestrictToAssignedQueues, append(changed, "restrict_to_assigned_queues")
	}
	if err := s.checkAssignment(u.ID, directory.Role(u.Role), u.Queues, c.Queues != nil, u.RestrictQueues); err != nil {
		return User{}, err
	}
	if c.Password != nil {
		if err := directory.CheckPassword(*c.Password); err != nil {
			return User{}, invalid("password", "%v", err)
		}
		hash, err := s.hasher.Hash(ctx, *c.Password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash, changed = hash, append(changed, "password")
	}
	u.Updated = s.now()
	if err := s.users.Update(ctx, u); errors.Is(err, store.ErrLastAdmin) {
		return User{}, conflict("%s is the last administrator: make another user an administrator first", id)
	} else if errors.Is(err, store.ErrNotFound) {
		return User{}, notFound("no user %q", id)
	} else if err != nil {
		return User{}, err
	}
	s.revoked()
	s.log.Info("user updated", "actor", a.UserID, "user", id, "changed", strings.Join(changed, ","))
	s.audit(a, "user.updated", "", map[string]string{"user": id, "changed": strings.Join(changed, ",")})
	return s.view(u), nil
}

// DeleteUser removes a user and its tokens (administrators only).
func (s *Service) DeleteUser(ctx context.Context, a *Actor, id string) error {
	if err := Authorize(a, ManageUsers); err != nil {
		return err
	}
	if err := s.users.Delete(ctx, id); errors.Is(err, store.ErrNotFound) {
		return notFound("no user %q", id)
	} else if errors.Is(err, store.ErrLastAdmin) {
		return conflict("%s is the last administrator: make another user an administrator first", id)
	} else if err != nil {
		return err
	}
	s.revoked()
	s.log.Info("user deleted", "actor", a.UserID, "user", id)
	s.audit(a, "user.deleted", "", map[string]string{"user": id})
	return nil
}

// PermissionState is one grantable permission of a role.
type PermissionState struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Default     bool   `json:"default"`
	Granted     bool   `json:"granted"`
	Planned     bool   `json:"planned,omitempty" doc:"the permission of a feature still to come: stored and reported, it guards nothing yet"`
}

// RolePermissions are a role's grantable permissions.
type RolePermissions struct {
	Role        string            `json:"role" enum:"supervisor,agent"`
	Permissions []PermissionState `json:"permissions"`
}

// Permissions shows every role's grantable permissions; any signed-in
// user may read them (a console greys out what its user may not do).
func (s *Service) Permissions(ctx context.Context, a *Actor) ([]RolePermissions, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	overrides, err := s.users.PermissionOverrides(ctx)
	if err != nil {
		return nil, err
	}
	var out []RolePermissions
	for _, r := range []directory.Role{directory.Supervisor, directory.Agent} {
		eff := directory.Effective(r, overrides[string(r)])
		rp := RolePermissions{Role: string(r)}
		for _, p := range directory.Catalogue(r) {
			rp.Permissions = append(rp.Permissions, PermissionState{Name: string(p.Name), Description: p.Description, Default: p.Default, Granted: eff[p.Name], Planned: p.Planned})
		}
		out = append(out, rp)
	}
	return out, nil
}

// SetPermission grants or revokes a permission of a role (administrators
// only); it takes effect at the role's users' next request.
func (s *Service) SetPermission(ctx context.Context, a *Actor, role, perm string, granted bool) error {
	if err := Authorize(a, ManagePermissions); err != nil {
		return err
	}
	r, err := directory.ParseRole(role)
	if err != nil || r == directory.Administrator || string(r) != role {
		return notFound("no role %q with grantable permissions (supervisor, agent)", role)
	}
	if !directory.Known(r, directory.Permission(perm)) {
		return notFound("role %s has no permission %q", role, perm)
	}
	if err := s.users.SetPermission(ctx, role, perm, granted); err != nil {
		return err
	}
	s.revoked() // streams see by their user's permissions
	verb := "revoked"
	if granted {
		verb = "granted"
	}
	s.log.Info("permission "+verb, "actor", a.UserID, "role", role, "permission", perm)
	s.audit(a, "permission."+verb, "", map[string]string{"role": role, "permission": perm})
	return nil
}

// RestoreDefaults gives a role ("" for every role) its documented default
// permissions back (administrators only).
func (s *Service) RestoreDefaults(ctx context.Context, a *Actor, role string) error {
	if err := Authorize(a, ManagePermissions); err != nil {
		return err
	}
	var roles []string
	if role != "" {
		if role != string(directory.Supervisor) && role != string(directory.Agent) {
			return invalid("role", "want supervisor or agent, or none for both")
		}
		roles = []string{role}
	}
	if err := s.users.ClearPermissions(ctx, roles...); err != nil {
		return err
	}
	s.revoked()
	s.log.Info("permissions restored to their defaults", "actor", a.UserID, "role", role)
	s.audit(a, "permission.restored", "", map[string]string{"role": role})
	return nil
}
