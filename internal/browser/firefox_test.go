package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestFirefoxReportsPageProblems: the driver itself sees what a page
// reports in Firefox (an inline script the page's CSP blocks, a script
// error, console.error), so that the consoles' tests, finding nothing,
// mean nothing was reported.
func TestFirefoxReportsPageProblems(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><main>page</main><script>document.title = "ran"</script><script src="/bad.js"></script>`)
	})
	mux.HandleFunc("/bad.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `console.error("logged on purpose"); window.setTimeout(function(){ undefinedFunction(); }, 0);`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	f := NewFirefox(t, srv.URL)
	f.Open(t, "/")
	for _, want := range []string{"Content-Security-Policy", "undefinedFunction", "logged on purpose"} {
		f.WaitProblem(t, want, 10*time.Second)
	}
	if f.Is(t, "reading the title", `document.title === "ran"`) {
		t.Error("the inline script ran despite the page's CSP")
	}
}
