package tlscert

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
)

// TestReloadKeepsWhatIsInForce: a reload swaps the certificate only for
// one that loads and has not expired; the log says which is in force.
func TestReloadKeepsWhatIsInForce(t *testing.T) {
	t.Parallel()
	ca := testutil.NewCA(t)
	cert, key := ca.Issue(t, "acd", "acd.example", "192.0.2.10")
	var log bytes.Buffer
	k, err := Load(cert, key, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	first := k.Current().Leaf.SerialNumber.String()
	if got := strings.Join(Names(k.Current().Leaf), ","); got != "acd.example,192.0.2.10" {
		t.Fatalf("names %q", got)
	}
	if err := k.Reload(); err != nil || !strings.Contains(log.String(), "TLS certificate unchanged on reload") {
		t.Fatalf("reload of the same files: %v\n%s", err, log.String())
	}

	// Past its end (the clock moved on): refused, the one in force stays.
	k.now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if err := k.Reload(); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("reload of an expired certificate: %v", err)
	}
	if got := k.Current().Leaf.SerialNumber.String(); got != first {
		t.Fatal("an expired certificate was put in force")
	}
	if !strings.Contains(log.String(), "TLS certificate reload failed; keeping the certificate in force") {
		t.Fatalf("the failed reload was not logged:\n%s", log.String())
	}
	if strings.Contains(log.String(), "PRIVATE KEY") {
		t.Fatal("the log holds the private key")
	}
}
