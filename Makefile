# The README's two commands: `make run` (the suite against the embedded reference server) and
# `make test` (vet and every test). Go fetches the modules itself on first use.
GO ?= go

.PHONY: run test vet build fuzz
run:
	$(GO) run ./runner

test: vet
	$(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz

# A short fuzz run of each target (package:target); the seed corpora in the packages' testdata/fuzz
# also run as plain tests above. FUZZTIME=5m make fuzz for a longer search.
FUZZTIME ?= 6s
FUZZ_TARGETS = ./spec:FuzzDecodeJSON ./spec:FuzzValidateResponse ./runner/report:FuzzJSONReport ./runner/report:FuzzJUnitReport
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
	$(GO) build -o bin/runner ./runner
