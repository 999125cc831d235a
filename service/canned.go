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

// recordCanned logs and audits what a did to m ("created", "updated",
// "deleted"); extra are pairs of attributes the log and the audit's
// details add to what the message says.
func (s *Service) recordCanned(a *Actor, verb string, m store.CannedMessage, extra ...string) {
	d := map[string]string{"id": idText(m.ID), "shortcut": m.Shortcut, "visibility": cannedView(m).Visibility, "owner": m.Owner, "active": strconv.FormatBool(m.Active)}
	attrs := []any{"actor", a.UserID, "id", m.ID, "shortcut", m.Shortcut}
	for i := 0; i+1 < len(extra); i += 2 {
		d[extra[i]] = extra[i+1]
		attrs = append(attrs, extra[i], extra[i+1])
	}
	s.log.Info("canned message "+verb, attrs...)
	s.audit(a, "canned_message."+verb, "", d)
}

// cannedKind is the canned messages of the catalogue, as a refused
// shortcut is explained to a.
func (s *Service) cannedKind(a *Actor) kind[store.CannedMessage] {
	return kind[store.CannedMessage]{noun: "canned message", event: "canned_message",
		add: CatalogStore.CreateCannedMessage, put: CatalogStore.UpdateCannedMessage, drop: CatalogStore.DeleteCannedMessage,
		taken: func(ctx context.Context, st CatalogStore, m store.CannedMessage) error {
			return s.shortcutTaken(ctx, a, st, m)
		}}
}

// checkField makes check's refusal one of the request's field.
func checkField(field string, check func(string) error) func(string) error {
	return func(v string) error {
		if err := check(v); err != nil {
			return invalid(field, "%v", err)
		}
		return nil
	}
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
	if err := checkField("shortcut", checkShortcut)(nm.Shortcut); err != nil {
		return CannedMessage{}, err
	}
	if err := checkField("text", checkCannedText)(nm.Text); err != nil {
		return CannedMessage{}, err
	}
	now := s.now()
	m := store.CannedMessage{Shortcut: nm.Shortcut, ShortcutKey: config.NameKey(nm.Shortcut), Text: nm.Text, Active: nm.Active == nil || *nm.Active,
		CreatedBy: a.UserID, Created: now, Updated: now}
	if vis == VisibilityPrivate {
		m.Owner = a.UserID
	}
	created, err := s.cannedKind(a).create(ctx, st, m)
	if err != nil {
		return CannedMessage{}, err
	}
	s.recordCanned(a, "created", created, "visibility", vis)
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
	var changed edits
	if err := set(&changed, "shortcut", &m.Shortcut, c.Shortcut, checkField("shortcut", checkShortcut)); err != nil {
		return CannedMessage{}, err
	}
	if err := set(&changed, "text", &m.Text, c.Text, checkField("text", checkCannedText)); err != nil {
		return CannedMessage{}, err
	}
	set(&changed, "active", &m.Active, c.Active, nil)
	vis := cannedView(m).Visibility
	if err := set(&changed, "visibility", &vis, c.Visibility, func(v string) error {
		if v != VisibilityPublic && v != VisibilityPrivate {
			return invalid("visibility", "want private or public")
		}
		if !a.May(ManagePublicCanned) {
			return refused(ManagePublicCanned)
		}
		return nil
	}); err != nil {
		return CannedMessage{}, err
	} else if vis != cannedView(m).Visibility {
		m.Owner = ""
		if vis == VisibilityPrivate {
			m.Owner = a.UserID
		}
	}
	if len(changed) == 0 {
		return cannedView(m), nil
	}
	m.ShortcutKey, m.Updated = config.NameKey(m.Shortcut), s.now()
	if err := s.cannedKind(a).update(ctx, st, id, m); err != nil {
		return CannedMessage{}, err
	}
	s.recordCanned(a, "updated", m, "changed", strings.Join(changed, ","))
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
	if err := s.cannedKind(a).delete(ctx, st, id); err != nil {
		return err
	}
	s.recordCanned(a, "deleted", m)
	return nil
}
