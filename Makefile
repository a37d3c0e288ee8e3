# Aspen: `make devnet` runs a local network, `make test` runs every test.
GO      ?= go
BIN     ?= bin/aspen
HOME_DIR ?= .devnet

.PHONY: build devnet test test-go test-client bench lint fuzz fuzz-short fuzz-ci chaos

build:
	$(GO) build -o $(BIN) ./cmd/aspen

devnet: build
	./$(BIN) devnet --home $(HOME_DIR)

# The whole suite: Go unit, integration and end-to-end tests (real processes),
# then the ethers.js client tests against a real `aspen devnet`.
test: build test-go test-client

# The end-to-end package runs after the rest, not beside it: on two cores the
# simulator's CPU starved the e2e devnets' nice-19 miners (and took 3.7× its
# own time), so side by side was both slower and flakier than one after the other.
# Where the time goes: the e2e package (two devnets at a time; tests that stop
# no node share one, test/e2e/doc.go), then the simulator (sim/, its seed
# groups side by side on both cores) and consensus/bft. Longer runs stay
# behind env vars (README, Tests): ASPEN_SIM_*SEEDS, ASPEN_SIM_SCALE, ASPEN_CHAOS.
test-go:
	$(GO) vet ./...
	ASPEN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v /test/e2e)
	ASPEN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 20m ./test/e2e/

test-client: build
	cd test/client && (test -d node_modules || npm ci --no-audit --no-fund) && ASPEN_BIN=$(CURDIR)/$(BIN) npm test

# Every performance figure of issue 18 in one table, each beside its same-run
# reference (go-ethereum, CometBFT when on PATH, the root alone): tools/bench.
# BENCH=quick (about 5 minutes) or full; BENCHOUT holds bench.json (for CI to
# diff), the pprof profiles and their top 10, and the log.
BENCH    ?= quick
BENCHOUT ?= bench-out
bench: build
	$(GO) run ./tools/bench -mode $(BENCH) -bin $(BIN) -go $(GO) -out $(BENCHOUT)

# Native Go fuzzing: every target of tools/fuzz/targets.txt for FUZZTIME each,
# one after the other. A crash leaves its input under testdata/fuzz/ of the
# package; `go test` replays it. fuzz-short is the CI smoke run.
FUZZTIME ?= 30s

fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) tools/fuzz/run.sh

fuzz-short:
	GO=$(GO) FUZZTIME=5s tools/fuzz/run.sh

# What CI runs after the tests: every target for 3 s (about 90 s in all).
fuzz-ci:
	GO=$(GO) FUZZTIME=3s FUZZMINTIME=2s tools/fuzz/run.sh

# Random fault schedules (pause, kill -9, wiped restarts, partitions, slow
# and lossy links) against the disjoint devnet under cross-subnet load, then
# a check of the history (test/e2e/chaos_test.go). SEED=N fixes the
# schedule, REPLAY=schedule.json runs a recorded one; OUT=DIR keeps the
# schedule and history.
DURATION ?= 1m
chaos: build
	ASPEN_BIN=$(CURDIR)/$(BIN) ASPEN_CHAOS=$(DURATION) ASPEN_CHAOS_SEED=$(SEED) ASPEN_CHAOS_REPLAY=$(REPLAY) ASPEN_CHAOS_OUT=$(OUT) \
		$(GO) test -count=1 -run '^TestChaos$$' -timeout 0 -v ./test/e2e/
