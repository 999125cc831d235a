package web

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/acdserver/acd/api"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/service"
)

// contentSecurity allows only our own files: no inline script or style,
// no frames, forms posting only here. Anything a user typed can then do
// nothing even if it reached the page as markup.
const contentSecurity = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secured sets the headers every response of the consoles carries.
func (p *Pages) secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurity)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if unsafeMethod(r.Method) && !sameOrigin(r) {
			p.log.Warn("security: console request from another origin refused", "event", "cross_origin", "source", r.RemoteAddr, "origin", r.Header.Get("Origin"))
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// sameOrigin: a browser names the page's origin on every POST; one from
// another site is refused even before its cookie (SameSite=Strict) would
// be. A request without Origin (not a browser) relies on the CSRF token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// session is the signed-in user of a request.
type session struct {
	actor  *service.Actor
	secret string
}

// csrf is the token the session's forms carry.
func (s session) csrf() string { return service.CSRFToken(s.secret) }

// handlerFunc is a page or action for a signed-in user.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s session)

// signedIn resolves the session cookie: pages without one go to the sign-in
// page; unsafe requests also need the session's CSRF token, in the form
// or the header that htmx sends.
func (p *Pages) signedIn(next handlerFunc) http.Handler {
	return p.secured(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.sessionOf(r)
		if !ok {
			if r.Method == http.MethodGet && r.URL.Path != "/live" {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in again: the session has ended", http.StatusUnauthorized)
			return
		}
		if unsafeMethod(r.Method) {
			token := r.Header.Get(api.CSRFHeader)
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if !service.CheckCSRF(s.secret, token) {
				p.log.Warn("security: console form without its CSRF token refused", "event", "csrf_failure", "source", r.RemoteAddr, "user", s.actor.UserID)
				http.Error(w, "the form has expired: reload the page", http.StatusForbidden)
				return
			}
		}
		next(w, r, s)
	}))
}

func (p *Pages) sessionOf(r *http.Request) (session, bool) {
	c, err := r.Cookie(api.SessionCookie)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	a, err := p.svc.Authenticate(r.Context(), c.Value)
	if err != nil {
		return session{}, false
	}
	return session{actor: a, secret: c.Value}, true
}

// home sends each role to its console.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	s, ok := p.sessionOf(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, homeOf(s.actor), http.StatusSeeOther)
}

func homeOf(a *service.Actor) string {
	switch a.Role {
	case directory.Administrator:
		return "/admin"
	case directory.Supervisor:
		return "/supervisor"
	}
	return "/agent"
}

type loginView struct {
	User, Next, Error string
	// Setup: no user exists yet; the page leads to /setup.
	Setup bool
}

func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Sign in", Data: loginView{Next: safeNext(r.URL.Query().Get("next")), Setup: p.svc.SetupPending(r.Context())}}
	if r.URL.Query().Get("setup") == "done" {
		v.Notice = "The first administrator is made: sign in."
	}
	p.render(w, r, http.StatusOK, "login", v)
}

func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	user, password := r.PostFormValue("user"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	sess, err := p.svc.Login(r.Context(), user, password, remoteAddr(r.RemoteAddr))
	if err != nil {
		status, msg := http.StatusUnauthorized, "Wrong user or password."
		var se *service.Error
		if errors.As(err, &se) && se.Kind == service.Throttled {
			status, msg = http.StatusTooManyRequests, "Too many failed attempts: wait "+se.RetryAfter.Round(time.Second).String()+" and try again."
		} else if !errors.As(err, &se) {
			p.log.Error("signing in from the console", "error", err)
			status, msg = http.StatusInternalServerError, "The server could not sign you in; see its log."
		}
		p.render(w, r, status, "login", view{Title: "Sign in", Data: loginView{User: user, Next: next, Error: msg}})
		return
	}
	setCookies(w, r, sess.Token, sess.Expires)
	if next == "" {
		a, err := p.svc.Authenticate(r.Context(), sess.Token)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		next = homeOf(a)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Pages) logout(w http.ResponseWriter, r *http.Request, s session) {
	if err := p.svc.Logout(r.Context(), s.actor); err != nil {
		p.log.Error("signing out from the console", "error", err, "user", s.actor.UserID)
	}
	setCookies(w, r, "", time.Time{})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setCookies sets (or, with an empty secret, clears) the session cookie
// the API also reads, HttpOnly and SameSite=Strict, and its CSRF cookie.
func setCookies(w http.ResponseWriter, r *http.Request, secret string, expires time.Time) {
	secure := r.TLS != nil
	session := &http.Cookie{Name: api.SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure}
	csrf := &http.Cookie{Name: api.CSRFCookie, Value: service.CSRFToken(secret), Path: "/", SameSite: http.SameSiteStrictMode, Secure: secure}
	if secret == "" {
		session.MaxAge, csrf.MaxAge, csrf.Value = -1, -1, ""
	} else {
		session.Expires, csrf.Expires = expires, expires
	}
	http.SetCookie(w, session)
	http.SetCookie(w, csrf)
}

// safeNext keeps a return address only when it is a path of ours: a link
// to /login?next=https://elsewhere must not send a user away.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/live") {
		return ""
	}
	return next
}

func remoteAddr(r string) netip.Addr {
	ap, err := netip.ParseAddrPort(r)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
