# The one test command: installs what the tests need, then runs them all.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 10s

.PHONY: test deps vet fuzz run

test: deps vet
	go test -race -count=1 ./...
	$(MAKE) fuzz

deps:
	@command -v sipp >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq sip-tester >/dev/null; }
	go mod download

vet:
	go vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt would rewrite:"; gofmt -l .; exit 1; }

# A short fuzzing pass of each fuzz target; the corpora under testdata/fuzz
# always run as part of go test.
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseSDP$$' -fuzztime $(FUZZTIME) ./media
	go test -run '^$$' -fuzz '^FuzzDTMFDecoder$$' -fuzztime $(FUZZTIME) ./media
	go test -run '^$$' -fuzz '^FuzzScreen$$' -fuzztime $(FUZZTIME) ./sip

run:
	go run ./cmd/acd
