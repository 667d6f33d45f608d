# The README's two commands: `make run` (the suite against the embedded reference server) and
# `make test` (vet and every test). Go fetches the modules itself on first use. `make docs`
# regenerates docs/requirements.md. `make bench` measures a run, validation, memory and runs with
# the round trip on the wire (docs/benchmarks.md); BENCHFLAGS passes options to it, e.g.
# BENCHFLAGS='-concurrency 4,16 -runs 5' or BENCHFLAGS='-parts wire -wire-runs 3'.
GO ?= go
BIN ?= bin/contacts-conformance

.PHONY: run test vet build docs interop bench fuzz print-check

# GNU make exits 2 whenever a recipe fails, whatever the recipe's own code, so the recipe says the
# binary's code and what it means. CI calls the binary itself to get 0/1/2 (README, "Exit codes").
# ARGS passes flags: make run ARGS='--run ^auth/'.
run: build
	@$(BIN) $(ARGS); code=$$?; case $$code in \
	0) ;; \
	1) echo "make run: contacts-conformance exited 1: at least one conformance failure" >&2 ;; \
	2) echo "make run: contacts-conformance exited 2: the run could not be made" >&2 ;; \
	*) echo "make run: contacts-conformance exited $$code" >&2 ;; \
	esac; exit $$code

# The tests run against the embedded reference server whatever the shell (or make's command line)
# exports: every CONFORMANCE_ variable is removed from their environment first (go test ./suites
# alone still reads them, docs/conformancetest.md, "go test against staging"). They include a module of their own,
# testdata/consumer, which imports runner/conformancetest as an API team does.
UNSET_CONFORMANCE = unset $$(env | sed -n 's/^\(CONFORMANCE_[A-Za-z0-9_]*\)=.*/\1/p')
test: vet
	$(UNSET_CONFORMANCE); $(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

# A short fuzz run of each target (package:target); the seed corpora in the packages' testdata/fuzz
# also run as plain tests above. FUZZTIME=500000x make fuzz for a longer search. The budget is a
# count of inputs, not a duration: with a duration, Go 1.26's fuzzing coordinator can fail a target
# at the deadline with "context deadline exceeded" and no failing input (golang/go#75804, fixed in
# Go 1.27), which would turn CI red for nothing.
FUZZTIME ?= 2000x
FUZZ_TARGETS = ./spec:FuzzDecodeJSON ./spec:FuzzFastParserMatchesEncodingJSON ./spec:FuzzQuickFormats ./spec:FuzzValidateResponse ./runner/report:FuzzJSONReport ./runner/report:FuzzJUnitReport
fuzz:
	@set -e; $(UNSET_CONFORMANCE); for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name in $$pkg (-fuzztime $(FUZZTIME))"; \
		out=$$($(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | tail -n 1; \
	done

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd testdata/consumer && GOWORK=off $(GO) vet ./...

# Go stamps the VCS revision itself only in a clone whose .git is a directory, and not under
# -buildvcs=false; build passes git's answer at link time too (--version; a Go stamp wins).
REVISION = $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED = $(shell if [ -n "$$(git status --porcelain 2>/dev/null)" ]; then echo true; else echo false; fi)
STAMP = -X github.com/contacts-conformance/suite/runner.buildRevision=$(REVISION) -X github.com/contacts-conformance/suite/runner.buildModified=$(MODIFIED)
build:
	$(GO) build -ldflags '$(STAMP)' -o $(BIN) ./runner/cmd/contacts-conformance

# The spec linted by Spectral, the suite run against Prism's mock and through Prism's validating
# proxy (docs/interop.md). Needs Node.js 20.17+ and npm; UPDATE_GOLDEN=1 rewrites the
# golden files in testdata/interop/ instead of comparing.
interop:
	GO=$(GO) UPDATE_GOLDEN=$(UPDATE_GOLDEN) bash testdata/interop/run.sh

# report.html printed to PDF by headless Chromium, the printed text checked (docs/reports.md).
# Installs chromium and poppler-utils with apt-get when they are missing (as root); .ci/run runs it.
print-check:
	GO=$(GO) bash testdata/print/check.sh

# docs/requirements.md is generated from the requirement catalogue and the case tables; a test
# fails when it is stale. Written through a temporary file, so a failed run leaves it intact.
docs: build
	$(BIN) --list-markdown > docs/requirements.md.tmp
	mv docs/requirements.md.tmp docs/requirements.md

bench:
	$(GO) run ./runner/internal/bench -go $(GO) $(BENCHFLAGS)
