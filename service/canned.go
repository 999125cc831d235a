package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/store"
)

// Visibilities of a canned message.
const (
	VisibilityPrivate = "private" // its owner's alone
	VisibilityPublic  = "public"  // every user's
)

// Bounds of a canned message, in characters: a shortcut is typed in a
// chat box, the text is one chat message.
const (
	MaxShortcutLen   = 32
	MaxCannedTextLen = 2000
)

// CannedMessage is a prepared chat answer as the API shows it.
type CannedMessage struct {
	ID         int64     `json:"id"`
	Shortcut   string    `json:"shortcut" doc:"what an agent types to send it, as /hello"`
	Text       string    `json:"text"`
	Visibility string    `json:"visibility" enum:"private,public" doc:"private: its owner's alone; public: every user's"`
	Owner      string    `json:"owner,omitempty" doc:"the user a private message belongs to"`
	Active     bool      `json:"active" doc:"offered in chat; an inactive message is kept but not offered"`
	CreatedBy  string    `json:"created_by"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// NewCannedMessage is a message to create; Visibility "" is private and
// Active nil is active.
type NewCannedMessage struct {
	Shortcut, Text, Visibility string
	Active                     *bool
}

// CannedMessageChange is a partial update: nil fields are left as they
// are. A message made public belongs to no one; one made private belongs
// to whoever made it so.
type CannedMessageChange struct {
	Shortcut, Text, Visibility *string
	Active                     *bool
}

func cannedView(m store.CannedMessage) CannedMessage {
	v := CannedMessage{ID: m.ID, Shortcut: m.Shortcut, Text: m.Text, Visibility: VisibilityPublic, Owner: m.Owner, Active: m.Active,
		CreatedBy: m.CreatedBy, Created: m.Created, Updated: m.Updated}
	if m.Owner != "" {
		v.Visibility = VisibilityPrivate
	}
	return v
}

// checkShortcut: a slash and a word of Latin letters, digits, - _ and .,
// at most 32 characters in all, as the names of pause reasons are
// spelt (config.CheckName) but without spaces.
func checkShortcut(s string) error {
	if err := config.CheckName("shortcut", s); err != nil {
		return err
	}
	if !strings.HasPrefix(s, "/") || len(s) < 2 {
		return errors.New("a shortcut is / and a word, as in /hello")
	}
	if n := utf8.RuneCountInString(s); n > MaxShortcutLen {
		return fmt.Errorf("shortcut is %d characters long: at most %d", n, MaxShortcutLen)
	}
	i := 1
	for _, r := range s[1:] {
		i++
		if !unicode.IsLetter(r) && !('0' <= r && r <= '9') && r != '-' && r != '_' && r != '.' {
			return fmt.Errorf("shortcut: character %d is U+%04X: after its / a shortcut holds letters, digits, - _ and . only", i, r)
		}
	}
	return nil
}

// checkCannedText: 1 to 2000 characters of any script (customers write
// in theirs), with line breaks and tabs but no other control character.
func checkCannedText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	if strings.TrimSpace(s) == "" {
		return errors.New("text is empty")
	}
	if n := utf8.RuneCountInString(s); n > MaxCannedTextLen {
		return fmt.Errorf("text is %d characters long: at most %d", n, MaxCannedTextLen)
	}
	i := 0
	for _, r := range s {
		i++
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fmt.Errorf("text: character %d is U+%04X, a control character", i, r)
		}
	}
	return nil
}

// seesCanned: a private message is its owner's, and administrators'
// (who may do everything, and tidy up after anyone); a public one is
// everyone's while active, and its managers' always.
func seesCanned(a *Actor, m store.CannedMessage) bool {
	if m.Owner != "" {
		return m.Owner == a.UserID || a.is(directory.Administrator)
	}
	return m.Active || a.May(ManagePublicCanned)
}

func managesCanned(a *Actor, m store.CannedMessage) bool {
	if m.Owner != "" {
		return m.Owner == a.UserID || a.is(directory.Administrator)
	}
	return a.May(ManagePublicCanned)
}

// CannedMessages lists, by shortcut, what the actor may use or manage:
// its own private messages and the public ones (inactive ones too for
// those who manage them). With owner, that user's private messages only:
// administrators for anyone, others for themselves.
func (s *Service) CannedMessages(ctx context.Context, a *Actor, owner string) ([]CannedMessage, error) {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return nil, err
	}
	if owner != "" && owner != a.UserID && !a.is(directory.Administrator) {
		return nil, forbidden("private canned messages are their owner's: only administrators list another user's")
	}
	var rows []store.CannedMessage
	if owner != "" {
		rows, err = st.CannedMessages(ctx, owner, false)
	} else {
		rows, err = st.CannedMessages(ctx, a.UserID, true)
	}
	if err != nil {
		return nil, err
	}
	out := []CannedMessage{}
	for _, m := range rows {
		if seesCanned(a, m) {
			out = append(out, cannedView(m))
		}
	}
	return out, nil
}

// readCanned reads a message the actor may see: another user's private
// message, or an inactive public one the actor does not manage, does not
// exist for it.
func (s *Service) readCanned(ctx context.Context, a *Actor, st CatalogStore, id int64) (store.CannedMessage, error) {
	m, err := st.CannedMessage(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !seesCanned(a, m)) {
		return store.CannedMessage{}, notFound("no canned message %d", id)
	}
	return m, err
}

// CannedMessage reads one message the actor may see.
func (s *Service) CannedMessage(ctx context.Context, a *Actor, id int64) (CannedMessage, error) {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return CannedMessage{}, err
	}
	m, err := s.readCanned(ctx, a, st, id)
	if err != nil {
		return CannedMessage{}, err
	}
	return cannedView(m), nil
}

// shortcutTaken explains a refused shortcut without telling whose
// private message holds it, when it is not the actor's.
func (s *Service) shortcutTaken(ctx context.Context, a *Actor, st CatalogStore, m store.CannedMessage) error {
	rows, err := st.CannedMessages(ctx, a.UserID, true)
	if err != nil {
		return err
	}
	for _, o := range rows {
		if o.ShortcutKey == m.ShortcutKey && o.ID != m.ID && seesCanned(a, o) {
			return conflictOn("shortcut", "canned message %d (%s) has this shortcut; shortcuts are compared without case", o.ID, cannedView(o).Visibility)
		}
	}
	if m.Owner == "" {
		return conflictOn("shortcut", "a user's private canned message has this shortcut: a public one would give that user two")
	}
	return conflictOn("shortcut", "another canned message has this shortcut; shortcuts are compared without case")
}

func cannedDetail(m store.CannedMessage) map[string]string {
	v := cannedView(m)
	return map[string]string{"id": idText(m.ID), "shortcut": m.Shortcut, "visibility": v.Visibility, "owner": m.Owner, "active": strconv.FormatBool(m.Active)}
}

// CreateCannedMessage adds a message: a private one, the actor's own, by
// anyone; a public one by those who manage public messages.
func (s *Service) CreateCannedMessage(ctx context.Context, a *Actor, nm NewCannedMessage) (CannedMessage, error) {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return CannedMessage{}, err
	}
	vis := nm.Visibility
	if vis == "" {
		vis = VisibilityPrivate
	}
	if vis != VisibilityPrivate && vis != VisibilityPublic {
		return CannedMessage{}, invalid("visibility", "want private or public")
	}
	if vis == VisibilityPublic && !a.May(ManagePublicCanned) {
		return CannedMessage{}, refused(ManagePublicCanned)
	}
	if err := checkShortcut(nm.Shortcut); err != nil {
		return CannedMessage{}, invalid("shortcut", "%v", err)
	}
	if err := checkCannedText(nm.Text); err != nil {
		return CannedMessage{}, invalid("text", "%v", err)
	}
	now := s.now()
	m := store.CannedMessage{Shortcut: nm.Shortcut, ShortcutKey: config.NameKey(nm.Shortcut), Text: nm.Text, Active: nm.Active == nil || *nm.Active,
		CreatedBy: a.UserID, Created: now, Updated: now}
	if vis == VisibilityPrivate {
		m.Owner = a.UserID
	}
	created, err := st.CreateCannedMessage(ctx, m)
	if errors.Is(err, store.ErrExists) {
		return CannedMessage{}, s.shortcutTaken(ctx, a, st, m)
	} else if err != nil {
		return CannedMessage{}, err
	}
	s.log.Info("canned message created", "actor", a.UserID, "id", created.ID, "shortcut", created.Shortcut, "visibility", vis)
	s.audit(a, "canned_message.created", "", cannedDetail(created))
	return cannedView(created), nil
}

// UpdateCannedMessage edits, activates or deactivates a message, or
// changes its visibility: a private one by its owner (or an
// administrator), a public one by those who manage public messages, and
// only they make a message public or a public one private.
func (s *Service) UpdateCannedMessage(ctx context.Context, a *Actor, id int64, c CannedMessageChange) (CannedMessage, error) {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return CannedMessage{}, err
	}
	m, err := s.readCanned(ctx, a, st, id)
	if err != nil {
		return CannedMessage{}, err
	}
	if !managesCanned(a, m) {
		return CannedMessage{}, refused(ManagePublicCanned)
	}
	var changed []string
	if c.Shortcut != nil && *c.Shortcut != m.Shortcut {
		if err := checkShortcut(*c.Shortcut); err != nil {
			return CannedMessage{}, invalid("shortcut", "%v", err)
		}
		m.Shortcut, m.ShortcutKey, changed = *c.Shortcut, config.NameKey(*c.Shortcut), append(changed, "shortcut")
	}
	if c.Text != nil && *c.Text != m.Text {
		if err := checkCannedText(*c.Text); err != nil {
			return CannedMessage{}, invalid("text", "%v", err)
		}
		m.Text, changed = *c.Text, append(changed, "text")
	}
	if c.Active != nil && *c.Active != m.Active {
		m.Active, changed = *c.Active, append(changed, "active")
	}
	if c.Visibility != nil && *c.Visibility != cannedView(m).Visibility {
		switch *c.Visibility {
		case VisibilityPublic, VisibilityPrivate:
		default:
			return CannedMessage{}, invalid("visibility", "want private or public")
		}
		if !a.May(ManagePublicCanned) {
			return CannedMessage{}, refused(ManagePublicCanned)
		}
		m.Owner, changed = "", append(changed, "visibility")
		if *c.Visibility == VisibilityPrivate {
			m.Owner = a.UserID
		}
	}
	if len(changed) == 0 {
		return cannedView(m), nil
	}
	m.Updated = s.now()
	if err := st.UpdateCannedMessage(ctx, m); errors.Is(err, store.ErrExists) {
		return CannedMessage{}, s.shortcutTaken(ctx, a, st, m)
	} else if errors.Is(err, store.ErrNotFound) {
		return CannedMessage{}, notFound("no canned message %d", id)
	} else if err != nil {
		return CannedMessage{}, err
	}
	detail := cannedDetail(m)
	detail["changed"] = strings.Join(changed, ",")
	s.log.Info("canned message updated", "actor", a.UserID, "id", id, "shortcut", m.Shortcut, "changed", detail["changed"])
	s.audit(a, "canned_message.updated", "", detail)
	return cannedView(m), nil
}

// DeleteCannedMessage removes a message, by those who may edit it.
func (s *Service) DeleteCannedMessage(ctx context.Context, a *Actor, id int64) error {
	st, err := s.catalog.storeFor(a)
	if err != nil {
		return err
	}
	m, err := s.readCanned(ctx, a, st, id)
	if err != nil {
		return err
	}
	if !managesCanned(a, m) {
		return refused(ManagePublicCanned)
	}
	if err := st.DeleteCannedMessage(ctx, id); errors.Is(err, store.ErrNotFound) {
		return notFound("no canned message %d", id)
	} else if err != nil {
		return err
	}
	s.log.Info("canned message deleted", "actor", a.UserID, "id", id, "shortcut", m.Shortcut)
	s.audit(a, "canned_message.deleted", "", cannedDetail(m))
	return nil
}
