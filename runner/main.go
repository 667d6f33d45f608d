// Command runner runs the Contacts API conformance suite against a base URL, or against the
// embedded reference server when none is given, and exits 0 (conformant), 1 (at least one
// conformance failure) or 2 (the run could not be made).
//
//	go run ./runner --base-url https://staging.example.com/v1 --token "$TOKEN" --contact-id ...
//	go run ./runner serve --addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// Exit codes, documented in the README and in --help.
const (
	exitConformant = 0
	exitFailures   = 1
	exitNoRun      = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "serve" {
		return serve(ctx, args[1:], stdout, stderr)
	}
	cfg, err := config.Parse(args, getenv, stderr)
	if errors.Is(err, config.ErrHelp) {
		return exitConformant
	}
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	// Every byte the runner prints passes through the redactor, whatever produced it.
	redactor := engine.NewRedactor(cfg.Token, cfg.Redact...)
	stdout = &redactingWriter{w: stdout, r: redactor}
	stderr = &redactingWriter{w: stderr, r: redactor}

	contract, err := spec.Load()
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", oneLine(err))
		return exitNoRun
	}
	if cfg.List {
		printCatalogue(stdout, contract, cfg)
		return exitConformant
	}

	target := cfg.BaseURL
	if target == "" {
		srv, err := refserver.Start(refserver.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "runner: cannot start the embedded reference server: %s\n", oneLine(err))
			return exitNoRun
		}
		defer srv.Close()
		target = srv.URL
		cfg.Token, cfg.ContactID, cfg.ForeignContactID = srv.Token, srv.ContactID, srv.ForeignContactID
		fmt.Fprintf(stdout, "no --base-url given: running against the embedded reference server at %s\n", srv.URL)
	}
	opts := cfg.EngineOptions()
	opts.BaseURL, opts.UserAgent = target, "contacts-conformance/"+report.Version
	eng, err := engine.New(contract, opts)
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	var warnings []string
	if cfg.Insecure {
		warnings = append(warnings, config.InsecureWarning)
		fmt.Fprintf(stderr, "runner: %s\n", config.InsecureWarning)
	}
	if err := eng.Reachable(ctx); err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}

	cases := suites.Build(contract, suites.Config{
		ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: cfg.Token != "", Seed: cfg.Seed,
	})
	out := &textReporter{w: stdout, verbose: cfg.Verbose, quiet: cfg.Quiet}
	out.header(contract, target, cfg)
	started := time.Now()
	results := eng.Run(ctx, cases, out.result)
	run := &report.Run{
		SuiteVersion: report.Version, SpecSHA256: contract.Hash, Target: redactor.String(target),
		Started: started, Finished: time.Now(), Seed: cfg.Seed, Strict: cfg.Strict,
		Config: cfg.Redacted(), Summary: engine.Summarize(results), Results: results,
		InsecureTLS: cfg.Insecure, Warnings: warnings,
	}
	run.Config["base_url"] = run.Target
	out.summary(run)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "runner: %s\n", w)
	}

	code := verdict(run.Summary)
	for _, w := range []struct {
		path  string
		write func(io.Writer, *report.Run) error
	}{{cfg.JSONFile, report.JSON}, {cfg.JUnitFile, report.JUnit}} {
		if w.path == "" {
			continue
		}
		write := w.write
		if err := report.WriteFile(w.path, func(f io.Writer) error {
			return redactor.Write(f, func(buf io.Writer) error { return write(buf, run) })
		}); err != nil {
			fmt.Fprintf(stderr, "runner: %s\n", err)
			code = exitNoRun
		}
	}
	return code
}

// verdict maps the summary to the exit code: a conformance failure is a verdict even when some
// cases could not run; harness errors alone mean the verdict is incomplete.
func verdict(s engine.Summary) int {
	switch {
	case s.Fail > 0:
		return exitFailures
	case s.Error > 0:
		return exitNoRun
	default:
		return exitConformant
	}
}

func oneLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

type redactingWriter struct {
	w io.Writer
	r *engine.Redactor
}

func (rw *redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
