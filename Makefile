# referral-ledger developer commands. `make run` and `make test` are all a
# fresh clone needs; everything else is optional. Tools are installed into
# ./bin through the Go module proxy, pinned, so no global installs are needed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

GO ?= go
BIN := $(CURDIR)/bin
DIST := $(CURDIR)/dist

# The version stamped into the binary (package version), from the nearest
# tag: v1.2.0, v1.2.0-3-gabc1234 three commits after it, -dirty with
# uncommitted changes; the short commit when there is no tag yet.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X github.com/referral-ledger/ledger/version.Version=$(VERSION) -X github.com/referral-ledger/ledger/version.Commit=$(COMMIT)
# The platforms make dist builds for.
DIST_PLATFORMS := linux/amd64 linux/arm64

# Packages to check and test; narrow it with e.g. make test PKGS='./config/... ./logging/...'.
PKGS ?= ./...
# Directories gofmt looks at, derived from PKGS (./config/... -> ./config).
FMT_DIRS = $(patsubst %/...,%,$(PKGS))

TEST_TIMEOUT ?= 12m
BENCHTIME ?= 200ms
FUZZTIME ?= 10s

# staticcheck release 2026.2.2 is module version v0.8.2, the latest when pinned
# and checked to analyse this Go 1.26 module. The proxy only serves the semver
# form (@2026.2.2 is refused); staticcheck -version prints "2026.2.2 (0.8.2)".
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(BIN)/staticcheck

# benchstat compares benchmark runs (before/after figures in commit messages);
# the newest golang.org/x/perf the module proxy serves when pinned.
BENCHSTAT_VERSION := v0.0.0-20250813145418-2f7363a06fe1
BENCHSTAT := $(BIN)/benchstat

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z0-9-]*:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: build ## build bin/ledger and run `ledger serve` with the default configuration
	$(BIN)/ledger serve

.PHONY: build
build: ## build bin/ledger, the version stamped from git describe
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ledger ./cmd/ledger

# The SQLite driver (modernc.org/sqlite) is pure Go, so the binaries need no
# C library: CGO_ENABLED=0 makes them static, to copy onto any Linux.
# -trimpath keeps the build machine's paths out; the Go toolchain still
# records the module versions and VCS revision (go version -m).
.PHONY: dist
dist: ## static release binaries for linux/amd64 and linux/arm64, with SHA256SUMS, in dist/
	rm -rf $(DIST) && mkdir -p $(DIST)
	for platform in $(DIST_PLATFORMS); do \
		os=$${platform%/*}; arch=$${platform#*/}; \
		echo "building dist/ledger-$(VERSION)-$$os-$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' \
			-o $(DIST)/ledger-$(VERSION)-$$os-$$arch ./cmd/ledger; \
	done
	cd $(DIST) && sha256sum ledger-* > SHA256SUMS && cat SHA256SUMS

.PHONY: test
# The browser tests (TestWebBrowser*, real Chromium) run in a second pass
# without the race detector: they drive the same handlers the plain-HTTP page
# tests already run under -race, and with it they alone took over 10 of the
# 12 minutes a package may take on two cores.
BROWSER_TESTS := ^TestWebBrowser
# Two projections tests run in that second pass too: one goroutine feeding
# pure-Go SQLite random histories and every event type, they start no
# goroutine of their own for the detector to watch, and with it they took
# 170 s of the race pass (110 and 60) against 9 s without. Every other
# projections test, the concurrent ones included, stays under -race.
UNRACED_PROJECTION_TESTS := ^(TestViewsRebuildEqualsIncremental|TestReadModelsDeclareEveryEventType)$$

# -race also turns on checkptr, which checks every unsafe.Pointer conversion
# as it runs. The SQLite driver (modernc.org/sqlite and its libc) is C
# translated to Go, made of such conversions: checking them took about a
# quarter of the API tests' time under -race (a fifth of their CPU by
# profile). RACE_GCFLAGS turns checkptr off for those modules only; the race
# detector still watches all code, and checkptr every other package.
RACE_GCFLAGS := modernc.org/...=-d=checkptr=0

test: lint postgres check-ops ## gofmt check, go vet, staticcheck, the operations files, go test -race, then the browser tests and two projections tests without it
	$(GO) test -race -gcflags='$(RACE_GCFLAGS)' -count=1 -timeout $(TEST_TIMEOUT) -skip '$(BROWSER_TESTS)|$(UNRACED_PROJECTION_TESTS)' $(PKGS)
	$(if $(filter ./... ./projections ./projections/...,$(PKGS)),$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '$(UNRACED_PROJECTION_TESTS)' ./projections)
	$(if $(filter ./... ./cmd/ledger ./cmd/ledger/... ./cmd/...,$(PKGS)),$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -run '$(BROWSER_TESTS)' ./cmd/ledger)

# The PostgreSQL backends' tests use LEDGER_TEST_POSTGRES_URL (default: the
# postgres user on 127.0.0.1:5432). The script starts a server there if none
# answers (on Debian as root it installs the postgresql package); when it
# cannot, it says why and those tests skip, so this target never fails.
.PHONY: postgres
postgres: ## make sure a PostgreSQL answers for the tests, starting one if need be
	@bash scripts/ensure-postgres.sh || true

# The operations files checked with the tools that read them: the example
# alert rules with promtool (Debian's prometheus package) and the systemd
# unit with systemd-analyze. A missing tool skips its check, loudly; under
# CI (CI set) it fails the run.
.PHONY: check-ops
check-ops: ## promtool check/test rules on docs/alerts.yml, systemd-analyze verify on deploy/ledger.service
	@bash scripts/check-ops.sh

.PHONY: lint
lint: fmt-check vet staticcheck openapi-lint ## gofmt check, go vet, staticcheck and the OpenAPI linter

.PHONY: fmt
fmt: ## rewrite Go files with gofmt
	gofmt -w $(FMT_DIRS)

.PHONY: fmt-check
fmt-check: ## fail, listing the files, if gofmt would change anything
	@files="$$(gofmt -l $(FMT_DIRS))"; \
	if [ -n "$$files" ]; then \
		echo "gofmt would change these files (run make fmt):" >&2; \
		echo "$$files" >&2; \
		exit 1; \
	fi

.PHONY: vet
vet: ## go vet
	$(GO) vet $(PKGS)

.PHONY: staticcheck
staticcheck: staticcheck-install ## staticcheck, pinned
	$(STATICCHECK) $(PKGS)

# Reinstall when bin/staticcheck is missing, another version, or built by
# another Go release (it must understand the Go version it analyses).
.PHONY: staticcheck-install
staticcheck-install:
	@want="$$($(GO) env GOVERSION) $(STATICCHECK_VERSION)"; \
	have="$$($(GO) version -m $(STATICCHECK) 2>/dev/null | awk 'NR == 1 {v = $$2} $$1 == "mod" {m = $$3} END {print v, m}')" || have=""; \
	if [ "$$have" != "$$want" ]; then \
		echo "installing staticcheck $(STATICCHECK_VERSION) into bin/"; \
		GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

# The OpenAPI document (http/openapi.json) is linted with Spectral's
# recommended ruleset, any warning failing (.spectral.yaml says which rules
# are off and why). Spectral is installed pinned into .cache/spectral from
# npm: vacuum, the Go-installable linter, is not served by the module proxy.
.PHONY: openapi-lint
openapi-lint: ## lint http/openapi.json (Spectral, pinned, recommended ruleset)
	@bash scripts/lint-openapi.sh

# The generated Go client (client/) is regenerated from http/openapi.json;
# client's TestGeneratedClientIsCurrent fails when this was not run.
.PHONY: generate
generate: ## regenerate client/ from http/openapi.json (oapi-codegen, pinned)
	$(GO) generate ./client

.PHONY: benchstat-install
benchstat-install: ## install benchstat (pinned) into bin/
	@have="$$($(GO) version -m $(BENCHSTAT) 2>/dev/null | awk '$$1 == "mod" {print $$3}')" || have=""; \
	if [ "$$have" != "$(BENCHSTAT_VERSION)" ]; then \
		echo "installing benchstat $(BENCHSTAT_VERSION) into bin/"; \
		GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION); \
	fi

# The browser tests of the web interface (cmd/ledger/web_browser_test.go)
# drive Debian's Chromium (apt-get install -y chromium) and check every page
# with axe-core, installed pinned into .cache/axe by this target; without
# them they skip with a message (and fail when CI is set).
.PHONY: axe
axe: ## install axe-core (pinned, npm) for the browser tests into .cache/axe
	@bash scripts/install-axe.sh

# make bench runs the benchmarks once, side by side, keeps their output in
# BENCH_OUT (for benchstat) and prints one table of ratios, each benchmark
# against its baseline from the same run; internal/benchsummary/pairs.go
# declares the comparisons and their targets.
BENCH_OUT ?= $(CURDIR)/.cache/bench.txt
# Each benchmark runs BENCHCOUNT times, interleaved with the others; the
# summary takes the median, which a noisy machine moves least.
BENCHCOUNT ?= 3

.PHONY: bench
bench: ## run every benchmark briefly (BENCHTIME=200ms, BENCHCOUNT=3 times), then print the summary of ratios
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem -count=$(BENCHCOUNT) -timeout 60m $(PKGS) | tee $(BENCH_OUT)
	@echo
	@$(GO) run ./internal/benchsummary $(BENCH_OUT)

# bench/sqlitedrivers is a module of its own (it links the cgo SQLite driver,
# which the ledger never does): the pure-Go and the cgo driver on the same
# SQL, six runs each, compared with benchstat. It needs gcc.
.PHONY: bench-drivers
bench-drivers: benchstat-install ## compare the pure-Go and the cgo SQLite drivers on the ledger's SQLite work (needs gcc)
	@mkdir -p $(CURDIR)/.cache
	cd bench/sqlitedrivers && $(GO) test -run '^$$' -bench . -count 6 . > $(CURDIR)/.cache/drivers.txt
	@sed -n -E 's#^(Benchmark[A-Za-z]+)/modernc(-[0-9]+ )#\1\2#p' $(CURDIR)/.cache/drivers.txt > $(CURDIR)/.cache/drivers-modernc.txt
	@sed -n -E 's#^(Benchmark[A-Za-z]+)/cgo(-[0-9]+ )#\1\2#p' $(CURDIR)/.cache/drivers.txt > $(CURDIR)/.cache/drivers-cgo.txt
	@$(BENCHSTAT) modernc=$(CURDIR)/.cache/drivers-modernc.txt cgo=$(CURDIR)/.cache/drivers-cgo.txt

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (10s)
	@$(GO) test -list '^Fuzz' $(PKGS) \
	| awk '/^Fuzz/ {names = names " " $$1; next} /^ok/ {if (names != "") print $$2 names; names = ""}' \
	| while read -r pkg targets; do \
		for target in $$targets; do \
			echo "fuzzing $$pkg $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

.PHONY: test-kurrentdb
test-kurrentdb: ## run the KurrentDB store tests against KURRENTDB_URL
	@if [ -z "$${KURRENTDB_URL:-}" ]; then \
		echo "make test-kurrentdb needs KURRENTDB_URL, the connection string of a running KurrentDB," >&2; \
		echo "e.g. KURRENTDB_URL='kurrentdb://localhost:2113?tls=false' make test-kurrentdb" >&2; \
		exit 2; \
	fi
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./eventstore/kurrentdb/...

.PHONY: clean
clean: ## remove bin/ and dist/ (the data directory is kept)
	rm -rf $(BIN) $(DIST)
