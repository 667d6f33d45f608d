# The README's two commands: `make run` (the suite against the embedded reference server) and
# `make test` (vet and every test). Go fetches the modules itself on first use. `make docs`
# regenerates docs/requirements.md. `make bench` measures a run, validation, memory and runs with
# the round trip on the wire (docs/benchmarks.md); BENCHFLAGS passes options to it, e.g.
# BENCHFLAGS='-concurrency 4,16 -runs 5' or BENCHFLAGS='-parts wire -wire-runs 3'.
GO ?= go

.PHONY: run test vet build docs interop bench fuzz
run: build
	bin/contacts-conformance

test: vet
	$(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

# A short fuzz run of each target (package:target); the seed corpora in the packages' testdata/fuzz
# also run as plain tests above. FUZZTIME=5m make fuzz for a longer search.
FUZZTIME ?= 5s
FUZZ_TARGETS = ./spec:FuzzDecodeJSON ./spec:FuzzFastParserMatchesEncodingJSON ./spec:FuzzQuickFormats ./spec:FuzzValidateResponse ./runner/report:FuzzJSONReport ./runner/report:FuzzJUnitReport
fuzz:
	@set -e; for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		out=$$($(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | tail -n 1; \
	done

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/contacts-conformance ./runner/cmd/contacts-conformance

# The spec linted by Spectral, the suite run against Prism's mock and through Prism's validating
# proxy (README, "Interoperability"). Needs Node.js 20.17+ and npm; UPDATE_GOLDEN=1 rewrites the
# golden files in testdata/interop/ instead of comparing.
interop:
	GO=$(GO) UPDATE_GOLDEN=$(UPDATE_GOLDEN) bash testdata/interop/run.sh

# docs/requirements.md is generated from the requirement catalogue and the case tables; a test
# fails when it is stale. Written through a temporary file, so a failed run leaves it intact.
docs: build
	bin/contacts-conformance --list-markdown > docs/requirements.md.tmp
	mv docs/requirements.md.tmp docs/requirements.md

bench:
	$(GO) run ./runner/internal/bench -go $(GO) $(BENCHFLAGS)
