# The one test command: installs what the tests need, then runs them all.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Fuzzing budgets are counts of inputs, not durations: with a duration,
# Go 1.26's fuzzing coordinator can report its own deadline as a failure
# when a worker is mid-input (golang/go#75804, fixed in Go 1.27). Each is
# about 10 s here.
FUZZ_SDP ?= 500000x
FUZZ_DTMF ?= 500000x
FUZZ_SCREEN ?= 200000x
FUZZ_STREAM ?= 200000x

.PHONY: test test-fast deps vet fuzz run screenshots

# The end-to-end tests mostly wait on sockets, browsers and phones: four
# at a time keeps two cores busy without starving their timers; the
# timeout is a backstop for a test that hangs, well past a normal run.
# deps installs every browser, so a browser's test here fails rather than
# skips when its browser cannot be found.
test: deps vet
	ACD_REQUIRE_BROWSERS=1 go test -race -count=1 -parallel 4 -timeout 30m ./...
	$(MAKE) fuzz

# For one's own loop, in minutes: no race detector, no browsers and no
# outside phones (SIPp, baresip, socat), no fuzzing. make test, the one
# command CI runs, still runs everything.
test-fast: vet
	go test -short -count=1 -parallel 4 -timeout 15m ./...

deps:
	@command -v sipp >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq sip-tester >/dev/null; }
	@# Debian's SIPp is built without TLS: the SIP-over-TLS tests run it
	@# over TCP through socat, a real TLS client.
	@command -v socat >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq socat >/dev/null; }
	@# baresip-core holds the binary and the modules the tests load; the
	@# baresip package adds only the GTK, X11 and video front-ends.
	@command -v baresip >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends baresip-core >/dev/null; }
	@# fail2ban-regex checks docs/fail2ban's filter against the server's log.
	@command -v fail2ban-regex >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends fail2ban >/dev/null; }
	@# The consoles' tests drive Debian's headless Chromium and Firefox ESR.
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@command -v firefox-esr >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null; }
	go mod download

vet:
	go vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt would rewrite:"; gofmt -l .; exit 1; }

# A short fuzzing pass of each fuzz target; the corpora under testdata/fuzz
# always run as part of go test.
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseSDP$$' -fuzztime $(FUZZ_SDP) ./media
	go test -run '^$$' -fuzz '^FuzzDTMFDecoder$$' -fuzztime $(FUZZ_DTMF) ./media
	go test -run '^$$' -fuzz '^FuzzScreen$$' -fuzztime $(FUZZ_SCREEN) ./sip
	go test -run '^$$' -fuzz '^FuzzStream$$' -fuzztime $(FUZZ_STREAM) ./sip

run:
	go run ./cmd/acd

# Redraw the consoles' pictures in docs/screenshots (shown in the README)
# from a live server with SIP callers, in headless Chromium.
screenshots: deps
	ACD_SCREENSHOTS=$(CURDIR)/docs/screenshots go test -count=1 -run '^TestScreenshots$$' ./cmd/acd
