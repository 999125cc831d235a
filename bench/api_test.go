package bench

import "testing"

// The management-plane scenarios of api.sh, tiny: a handful of callers,
// agents, subscribers and logins, so that the client and the script keep
// working.

func TestAPIWaitingSmoke(t *testing.T) {
	out := runScript(t, []string{"AGENTS=10", "REQUESTS=10"}, "api.sh", "waiting", "5")
	f := row(t, out, "5")
	// callers agents logged_in requests rows kib p50_ms p99_ms max_ms idle_% cpu_% cpu_ms/read machine_%
	if f[2] != "10" || f[3] != "10" || f[4] != "5" {
		t.Fatalf("10 agents logged in, 10 reads of a list of 5 callers: %s logged in, %s reads, %s rows:\n%s", f[2], f[3], f[4], out)
	}
}

func TestAPIEventsSmoke(t *testing.T) {
	out := runScript(t, []string{"AGENTS=10", "SUBS=3", "STEP=2"}, "api.sh", "events", "5")
	f := row(t, out, "5")
	// rate subs calls failed setup_p99 events ev/s deliveries gaps missed reordered behind broken p50_ms p99_ms max_ms cpu_ms/call
	if f[2] != "10" || f[3] != "0" {
		t.Fatalf("5 calls/s for 2 s: %s calls, %s failed:\n%s", f[2], f[3], out)
	}
	if f[8] != "0" || f[10] != "0" || f[11] != "0" || f[12] != "0" || f[5] == "0" {
		t.Fatalf("3 subscribers: %s events, %s gaps, %s reordered, %s behind, %s broken:\n%s", f[5], f[8], f[10], f[11], f[12], out)
	}
}

func TestAPIPagesSmoke(t *testing.T) {
	out := runScript(t, []string{"AGENTS=10", "PAGES=3", "STEP=2"}, "api.sh", "pages", "5")
	f := row(t, out, "5")
	// rate pages calls failed setup_p99 redraws/pg fragments/pg kib/pg behind cpu_ms/call machine_%
	if f[2] != "10" || f[3] != "0" {
		t.Fatalf("5 callers/s for 2 s: %s calls, %s failed:\n%s", f[2], f[3], out)
	}
	if f[8] != "0" || f[5] == "0.0" {
		t.Fatalf("3 pages: %s redraws each, %s behind:\n%s", f[5], f[8], out)
	}
}

func TestAPILoginSmoke(t *testing.T) {
	out := runScript(t, []string{"AGENTS=10", "LOGINS=4"}, "api.sh", "login", "1", "2")
	for _, c := range []string{"1", "2"} {
		// clients logins logins/s p50_ms p99_ms max_ms cpu_%
		if f := row(t, out, c); f[1] != "4" {
			t.Fatalf("%s clients: %s logins, want 4:\n%s", c, f[1], out)
		}
	}
}
