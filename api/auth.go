package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type loginIn struct {
	Body struct {
		User string `json:"user" minLength:"1" maxLength:"64" doc:"the user id"`
		// No schema bounds: a refusal would echo the password back.
		Password string `json:"password"`
	}
}

type loginBody struct {
	Token     string    `json:"token" doc:"for Authorization: Bearer; browsers may use the cookie instead"`
	CSRFToken string    `json:"csrf_token" doc:"echo in the X-CSRF-Token header on unsafe requests made with the cookie"`
	Expires   time.Time `json:"expires"`
	User      string    `json:"user"`
}

type loginOut struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      loginBody
}

type setupIn struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"128" doc:"the one-time setup token printed in the server's log at first start"`
		User     string `json:"user" minLength:"1" maxLength:"64"`
		Name     string `json:"name,omitempty" maxLength:"128"`
		Password string `json:"password"`
	}
}

type userOut struct {
	Body service.User
}

type noOut struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
}

type meOut struct {
	Body service.Me
}

type tokenCreateIn struct {
	Body struct {
		Name             string `json:"name" minLength:"1" maxLength:"64" doc:"what the token is for"`
		ExpiresInSeconds int64  `json:"expires_in_seconds,omitempty" minimum:"0" maximum:"315360000" doc:"0 or absent: until revoked"`
	}
}

type tokenCreated struct {
	service.TokenInfo
	Token string `json:"token" doc:"the secret, shown this once"`
}

type tokenCreateOut struct {
	Body tokenCreated
}

type tokensIn struct {
	User string `query:"user" maxLength:"64" doc:"administrators: another user's tokens, or * for everyone's"`
}

type tokensOut struct {
	Body struct {
		Tokens []service.TokenInfo `json:"tokens"`
	}
}

type idPath struct {
	ID string `path:"id" maxLength:"64"`
}

// cookies sets (or, with an empty secret, clears) the browser's session
// and CSRF cookies. The session cookie is HttpOnly and SameSite=Strict;
// the CSRF cookie is readable by the page, which echoes it in a header.
func cookies(ctx context.Context, secret string, expires time.Time) []http.Cookie {
	secure, _ := ctx.Value(secureKey).(bool)
	session := http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure}
	csrf := http.Cookie{Name: CSRFCookie, Value: service.CSRFToken(secret), Path: "/", SameSite: http.SameSiteStrictMode, Secure: secure}
	if secret == "" {
		session.MaxAge, csrf.MaxAge, csrf.Value = -1, -1, ""
	} else {
		session.Expires, csrf.Expires = expires, expires
	}
	return []http.Cookie{session, csrf}
}

func (s *Server) registerAuth() {
	huma.Register(s.api, op("login", http.MethodPost, "/login", "Sign in", http.StatusOK, true, "sessions"),
		func(ctx context.Context, in *loginIn) (*loginOut, error) {
			sess, err := s.svc.Login(ctx, in.Body.User, in.Body.Password, addrOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &loginOut{SetCookie: cookies(ctx, sess.Token, sess.Expires)}
			out.Body = loginBody{Token: sess.Token, CSRFToken: service.CSRFToken(sess.Token), Expires: sess.Expires, User: sess.User}
			return out, nil
		})
	huma.Register(s.api, op("logout", http.MethodPost, "/logout", "Sign out: end this session or revoke this API token", http.StatusNoContent, false, "sessions"),
		func(ctx context.Context, _ *struct{}) (*noOut, error) {
			if err := s.svc.Logout(ctx, actorOf(ctx)); err != nil {
				return nil, s.fail(ctx, err)
			}
			return &noOut{SetCookie: cookies(ctx, "", time.Time{})}, nil
		})
	huma.Register(s.api, op("setup", http.MethodPost, "/setup", "Create the first administrator with the one-time setup token (loopback only)", http.StatusCreated, true, "sessions"),
		func(ctx context.Context, in *setupIn) (*userOut, error) {
			u, err := s.svc.Setup(ctx, in.Body.Token, addrOf(ctx), service.NewUser{ID: in.Body.User, Name: in.Body.Name, Password: in.Body.Password})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})
	huma.Register(s.api, op("me", http.MethodGet, "/me", "Who the caller is and what it may do", http.StatusOK, false, "sessions"),
		func(ctx context.Context, _ *struct{}) (*meOut, error) {
			m, err := s.svc.Me(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &meOut{Body: m}, nil
		})
	huma.Register(s.api, op("create-token", http.MethodPost, "/tokens", "Create an API token for scripts, with the caller's rights", http.StatusCreated, false, "tokens"),
		func(ctx context.Context, in *tokenCreateIn) (*tokenCreateOut, error) {
			info, secret, err := s.svc.CreateToken(ctx, actorOf(ctx), in.Body.Name, time.Duration(in.Body.ExpiresInSeconds)*time.Second)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &tokenCreateOut{Body: tokenCreated{TokenInfo: info, Token: secret}}, nil
		})
	huma.Register(s.api, op("list-tokens", http.MethodGet, "/tokens", "List the caller's sessions and API tokens", http.StatusOK, false, "tokens"),
		func(ctx context.Context, in *tokensIn) (*tokensOut, error) {
			list, err := s.svc.Tokens(ctx, actorOf(ctx), in.User)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &tokensOut{}
			out.Body.Tokens = list
			return out, nil
		})
	huma.Register(s.api, op("revoke-token", http.MethodDelete, "/tokens/{id}", "Revoke a session or API token", http.StatusNoContent, false, "tokens"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.RevokeToken(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}
