package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/store"
)

// openStores opens an event log and its users in a file of the test's.
func openStores(tb testing.TB) (*store.Log, *store.Users) {
	tb.Helper()
	l, err := store.Open(filepath.Join(tb.TempDir(), "acd.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	users, err := store.OpenUsers(l)
	if err != nil {
		tb.Fatal(err)
	}
	return l, users
}

func newTestServer(t *testing.T) (*httptest.Server, *Server) {
	t.Helper()
	l, users := openStores(t)
	svc := service.New(service.Config{Users: users, Events: l})
	mux := http.NewServeMux()
	s := Mount(mux, svc, Options{Version: "test"})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts, s
}

// TestEveryOperationIsSecuredButSignIn: an endpoint added without
// credentials would be open to anyone; only signing in and setup are.
func TestEveryOperationIsSecuredButSignIn(t *testing.T) {
	_, s := newTestServer(t)
	public := map[string]bool{"login": true, "setup": true}
	n := 0
	for path, item := range s.OpenAPI().Paths {
		for _, o := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if o == nil {
				continue
			}
			n++
			if public[o.OperationID] != (len(o.Security) == 0) {
				t.Errorf("%s %s (%s): security %v", o.Method, path, o.OperationID, o.Security)
			}
			if o.MaxBodyBytes != maxBody {
				t.Errorf("%s %s: body limit %d", o.Method, path, o.MaxBodyBytes)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d operations in the document", n)
	}
}

// TestOpenAPIDocument: the document is served, is OpenAPI 3.1, and
// declares the two ways to sign in.
func TestOpenAPIDocument(t *testing.T) {
	ts, _ := newTestServer(t)
	res, err := http.Get(ts.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Components.SecuritySchemes["bearer"] == nil || doc.Components.SecuritySchemes["cookie"] == nil {
		t.Fatalf("document: %+v", doc)
	}
}

// TestErrorsDoNotEchoValues: a refused body may hold a password.
func TestErrorsDoNotEchoValues(t *testing.T) {
	ts, _ := newTestServer(t)
	res, err := http.Post(ts.URL+"/api/v1/login", "application/json", strings.NewReader(`{"user":"root","password":"hunter2hunter2","extra":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 422 || strings.Contains(string(body), "hunter2") || !strings.Contains(string(body), "body.extra") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}
