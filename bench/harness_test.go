// Package bench holds the load scenarios; this test runs a tiny version of
// each so that the harness cannot rot.
package bench

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func runScript(t *testing.T, env []string, script string, args ...string) string {
	t.Helper()
	out, err := tryScript(t, env, script, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return out
}

// tryScript runs a scenario and returns its output and exit error.
func tryScript(t *testing.T, env []string, script string, args ...string) (string, error) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the load scenarios run in make test")
	}
	if _, err := exec.LookPath("sipp"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sipp is not installed: the test command installs sip-tester")
		}
		t.Skip("sipp not installed")
	}
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// row returns the fields of the table row starting with first.
func row(t *testing.T, out, first string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == first {
			return f
		}
	}
	t.Fatalf("no row for %s in:\n%s", first, out)
	return nil
}

func TestQueuedSmoke(t *testing.T) {
	out := runScript(t, []string{"WINDOW=2"}, "queued.sh", "4")
	f := row(t, out, "4")
	// callers cpu_% us/pkt_sent rss_kib/call goroutines gap_p50_ms gap_p99_ms lost pkts/s
	if f[7] != "0" || f[5] == "0.0" {
		t.Fatalf("4 queued callers: lost %s packets, gap p50 %s ms:\n%s", f[7], f[5], out)
	}
}

func TestCallRateSmoke(t *testing.T) {
	out := runScript(t, []string{"STEP=2"}, "callrate.sh", "10")
	f := row(t, out, "10")
	// rate calls failed setup_p50_ms setup_p99_ms cpu_ms/call rss_mib
	if f[1] != "20" || f[2] != "0" {
		t.Fatalf("10 calls/s for 2 s: %s calls, %s failed:\n%s", f[1], f[2], out)
	}
	if !strings.Contains(out, "highest clean rate: 10 calls/s") {
		t.Fatalf("summary missing:\n%s", out)
	}
}

// result returns the NAME=VALUE figures of the RESULT line for point.
func result(t *testing.T, out, scenario, point string) map[string]string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "RESULT scenario="+scenario+" point="+point+" ") {
			continue
		}
		figures := map[string]string{}
		for _, f := range strings.Fields(line)[1:] {
			if name, value, ok := strings.Cut(f, "="); ok {
				figures[name] = value
			}
		}
		return figures
	}
	t.Fatalf("no RESULT line for %s point %s in:\n%s", scenario, point, out)
	return nil
}

// Both kinds of callers bridge the pairs; only callersim reports what the
// callers sent and the gaps of the audio relayed back to them.
func TestBridgedSmoke(t *testing.T) {
	for _, tc := range []struct {
		callers       string
		callerFigures bool
	}{
		{callers: "go", callerFigures: true},
		{callers: "sipp", callerFigures: false},
	} {
		t.Run(tc.callers, func(t *testing.T) {
			out := runScript(t, []string{"WINDOW=2", "RATE=10", "CALLERS=" + tc.callers}, "bridged.sh", "3")
			f := row(t, out, "3")
			// pairs cpu_% us/pkt_relayed rss_kib/pair goroutines
			if f[1] == "0.0" {
				t.Fatalf("3 bridged pairs used no server CPU: nothing was relayed:\n%s", out)
			}
			r := result(t, out, "bridged", "3")
			for _, name := range []string{"caller_sent_per_s", "caller_gap_p99_ms"} {
				v, err := strconv.ParseFloat(r[name], 64)
				if got := err == nil && v > 0; got != tc.callerFigures {
					t.Fatalf("CALLERS=%s: %s=%q, want a figure: %v:\n%s", tc.callers, name, r[name], tc.callerFigures, out)
				}
			}
		})
	}
}

// A figure is never printed for pairs that were not bridged: with room
// for only two calls, the third agent's *50 login is refused.
func TestBridgedFailsWithoutAFigureWhenPairsAreMissing(t *testing.T) {
	out, err := tryScript(t, []string{"WINDOW=1", "RATE=10", "MAX_CALLS=2"}, "bridged.sh", "3")
	if err == nil {
		t.Fatalf("bridged.sh succeeded though only two calls fit:\n%s", out)
	}
	if !strings.Contains(out, "no figure for 3 pairs") || strings.Contains(out, "RESULT") {
		t.Fatalf("want a failure naming the pairs and no RESULT line:\n%s", out)
	}
}

// compare.sh against the same revision twice: both binaries are built and
// run, and every figure is compared.
func TestCompareSmoke(t *testing.T) {
	out := runScript(t, []string{"RUNS=1", "STEP=2", "WINDOW=1", "RATE=10"}, "compare.sh", "HEAD", "HEAD", "callrate:10", "bridged:2")
	for _, want := range []string{"callrate:10     cpu_ms_per_call", "callrate:10     setup_p99_ms", "bridged:2       us_per_pkt", "bridged:2       rss_kib_per_pair"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no row %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "gave no figure") {
		t.Fatalf("a run failed:\n%s", out)
	}
}

func TestFloodSmoke(t *testing.T) {
	out := runScript(t, []string{"RATE=50", "DURATION=2", "AFTER=0"}, "flood.sh")
	f := row(t, out, "off")
	// limit sent answered rss_mib peak_mib after_mib later_mib
	if f[1] != "100" || f[2] != "100" {
		t.Fatalf("50 OPTIONS/s for 2 s without a limit: %s sent, %s answered:\n%s", f[1], f[2], out)
	}
}
