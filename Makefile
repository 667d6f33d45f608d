# The README's two commands: `make run` (the suite against the embedded reference server) and
# `make test` (vet and every test). Go fetches the modules itself on first use.
# `make bench` measures a run, validation and memory (docs/benchmarks.md); BENCHFLAGS passes
# options to it, e.g. BENCHFLAGS='-concurrency 4,16 -runs 5'.
GO ?= go

.PHONY: run test vet build bench
run:
	$(GO) run ./runner

test: vet
	$(GO) test -count=1 ./...

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

build:
	$(GO) build -o bin/runner ./runner

bench:
	$(GO) run ./runner/internal/bench -go $(GO) $(BENCHFLAGS)
