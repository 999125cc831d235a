// Package api is the HTTP face of the service: REST and JSON under
// /api/v1, described by an OpenAPI 3.1 document generated from the
// handlers' types (huma), sign-in with bearer tokens or a browser's
// session cookie, and the event log as Server-Sent Events. It holds no
// rules of its own: every decision is the service's.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/acdserver/acd/service"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Names of the browser's credentials.
const (
	SessionCookie = "acd_session"
	CSRFCookie    = "acd_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

// maxBody bounds every request body: the largest legitimate one (a user
// with its queues) is well under it.
const maxBody = 64 << 10

// Server serves the API.
type Server struct {
	svc     *service.Service
	log     *slog.Logger
	api     huma.API
	streams context.Context // ends every event stream when it ends
	frames  *frames         // shared by the event streams
	// bufs holds the buffers bodies that encode themselves are appended
	// into (jsonFormat): a waiting list of thousands is most of a
	// megabyte, and allocating that at every read is GC work.
	bufs sync.Pool
}

// Options configure a Server.
type Options struct {
	Version string
	Log     *slog.Logger
	// Streams ends the event streams when it is done: a server shutting
	// down must not wait on clients that never hang up.
	Streams context.Context
}

type ctxKey int

const (
	actorKey ctxKey = iota
	addrKey
	secretKey
	secureKey // the request came over TLS: cookies get Secure
)

// Mount registers the API's routes on mux.
func Mount(mux *http.ServeMux, svc *service.Service, o Options) *Server {
	cfg := huma.DefaultConfig("acd", o.Version)
	cfg.Info.Description = "The contact-centre server's API: users, roles and permissions, agents' states, queues, the live event stream and the audit trail."
	cfg.OpenAPIPath = Prefix + "/openapi"
	cfg.DocsPath = ""    // the docs page loads scripts from a CDN; the document is enough
	cfg.SchemasPath = "" // and no $schema links in every response
	cfg.CreateHooks = nil
	cfg.Transformers = []huma.Transformer{withoutValues}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "a session token from POST /api/v1/login, or an API token from POST /api/v1/tokens"},
		"cookie": {Type: "apiKey", In: "cookie", Name: SessionCookie, Description: "the browser's session; unsafe methods also need the " + CSRFHeader + " header"},
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Streams == nil {
		o.Streams = context.Background()
	}
	s := &Server{svc: svc, log: o.Log, streams: o.Streams, frames: &frames{}}
	format := jsonFormat(&s.bufs)
	cfg.Formats = map[string]huma.Format{"application/json": format, "json": format}
	s.api = humago.New(mux, cfg)
	s.api.UseMiddleware(s.authenticate)
	s.registerAuth()
	s.registerUsers()
	s.registerPermissions()
	s.registerAgents()
	s.registerQueues()
	s.registerSettings()
	s.registerDirectory()
	s.registerDialplans()
	s.registerTrunks()
	s.registerEvents()
	s.registerCatalog()
	s.registerReports()
	s.registerRecorded()
	s.registerRecordings()
	s.registerMonitor()
	// The exports stream a zip or text, which huma does not: plain
	// handlers, authenticated the same way.
	src := reportSource{svc}
	mux.Handle("GET "+Prefix+"/exports", ExportsHandler(svc, src, o.Log))
	mux.Handle("GET "+Prefix+"/exports/queue_log", QueueLogHandler(svc, src, o.Log))
	mux.Handle("GET "+Prefix+"/recordings/{id}/audio", RecordingAudioHandler(svc, o.Log))
	return s
}

// OpenAPI is the generated document, for tests and tools.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

var secured = []map[string][]string{{"bearer": {}}, {"cookie": {}}}

// op describes an operation; public ones need no credentials.
func op(id, method, path, summary string, status int, public bool, tags ...string) huma.Operation {
	o := huma.Operation{
		OperationID: id, Method: method, Path: Prefix + path, Summary: summary, DefaultStatus: status,
		MaxBodyBytes: maxBody, Tags: tags,
	}
	if !public {
		o.Security = secured
		o.Errors = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	return o
}

func remoteAddr(r string) netip.Addr {
	ap, err := netip.ParseAddrPort(r)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// sameOrigin: a browser names the page's origin on unsafe requests; one
// from another site is refused even before credentials are read, which
// also stops a login forced from another site.
func sameOrigin(ctx huma.Context) bool {
	origin := ctx.Header("Origin")
	if origin == "" {
		return true // not a browser, or a same-origin request of an old one
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, ctx.Host())
}

// authenticate resolves the caller's credentials for secured operations:
// a bearer token, or the session cookie with its CSRF header on unsafe
// methods.
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	ctx = huma.WithValue(ctx, addrKey, remoteAddr(ctx.RemoteAddr()))
	ctx = huma.WithValue(ctx, secureKey, ctx.TLS() != nil)
	if unsafeMethod(ctx.Method()) && !sameOrigin(ctx) {
		s.log.Warn("security: API request from another origin refused", "event", "cross_origin", "source", ctx.RemoteAddr(), "origin", ctx.Header("Origin"))
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, "cross-origin request refused")
		return
	}
	if len(ctx.Operation().Security) == 0 {
		next(ctx)
		return
	}
	secret, viaCookie := "", false
	if h := ctx.Header("Authorization"); h != "" {
		scheme, value, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			s.unauthorized(ctx, "use Authorization: Bearer TOKEN")
			return
		}
		secret = strings.TrimSpace(value)
	} else if c, err := huma.ReadCookie(ctx, SessionCookie); err == nil {
		secret, viaCookie = c.Value, true
	}
	if secret == "" {
		s.unauthorized(ctx, "sign in: no credentials")
		return
	}
	actor, err := s.svc.Authenticate(ctx.Context(), secret)
	if err != nil {
		var se *service.Error
		if !errors.As(err, &se) {
			s.log.Error("authenticating a request", "error", err)
			_ = huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "internal error")
			return
		}
		s.unauthorized(ctx, "sign in: the token is unknown, revoked or expired")
		return
	}
	if viaCookie && unsafeMethod(ctx.Method()) && !service.CheckCSRF(secret, ctx.Header(CSRFHeader)) {
		s.log.Warn("security: API request without its CSRF token refused", "event", "csrf_failure", "source", ctx.RemoteAddr(), "user", actor.UserID)
		_ = huma.WriteErr(s.api, ctx, http.StatusForbidden, "missing or wrong "+CSRFHeader+" header: a session cookie needs it on unsafe methods")
		return
	}
	ctx = huma.WithValue(ctx, actorKey, actor)
	ctx = huma.WithValue(ctx, secretKey, secret)
	next(ctx)
}

func (s *Server) unauthorized(ctx huma.Context, msg string) {
	ctx.SetHeader("WWW-Authenticate", `Bearer realm="acd"`)
	_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, msg)
}

func actorOf(ctx context.Context) *service.Actor {
	a, _ := ctx.Value(actorKey).(*service.Actor)
	return a
}

func addrOf(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(addrKey).(netip.Addr)
	return a
}

// fail turns the service's refusals into statuses; anything else is the
// server's own failure, logged here and reported without detail.
func (s *Server) fail(ctx context.Context, err error) error {
	var se *service.Error
	if !errors.As(err, &se) {
		if ctx.Err() != nil {
			return huma.Error503ServiceUnavailable("request cancelled")
		}
		user := ""
		if a := actorOf(ctx); a != nil {
			user = a.UserID
		}
		s.log.Error("API request failed", "user", user, "error", err)
		return huma.Error500InternalServerError("internal error")
	}
	switch se.Kind {
	case service.Invalid:
		return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "body." + se.Field, Message: se.Msg})
	case service.Unauthenticated:
		return huma.ErrorWithHeaders(huma.Error401Unauthorized(se.Msg), http.Header{"WWW-Authenticate": {`Bearer realm="acd"`}})
	case service.Forbidden:
		return huma.Error403Forbidden(se.Msg)
	case service.NotFound:
		return huma.Error404NotFound(se.Msg)
	case service.Conflict:
		return huma.Error409Conflict(se.Msg)
	case service.Throttled:
		secs := max(int(se.RetryAfter.Seconds()+0.999), 1)
		return huma.ErrorWithHeaders(huma.Error429TooManyRequests(se.Msg), http.Header{"Retry-After": {strconv.Itoa(secs)}})
	}
	return huma.Error500InternalServerError("internal error")
}

// invalidParam reports a bad query or header parameter by name.
func invalidParam(where, name, msg string) error {
	return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: where + "." + name, Message: msg})
}

// withoutValues drops the request values huma echoes in its errors: the
// value of a refused field may be a password, and a refused body is the
// whole body.
func withoutValues(_ huma.Context, _ string, v any) (any, error) {
	if m, ok := v.(*huma.ErrorModel); ok {
		for _, d := range m.Errors {
			if d != nil {
				d.Value = nil
			}
		}
	}
	return v, nil
}
