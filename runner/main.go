// Package runner is the command line of the Contacts API conformance suite (the binary is
// runner/cmd/contacts-conformance): it runs the suite against a base URL, or against the embedded
// reference server when none is given, and exits 0 (conformant), 1 (at least one conformance
// failure) or 2 (the run could not be made).
//
//	contacts-conformance --base-url https://staging.example.com/v1 --contact-id ... --expect conformance.expect
//	contacts-conformance serve --addr 127.0.0.1:8080
//	contacts-conformance expect --from reports/results.json > conformance.expect
//	contacts-conformance diff last-night/results.json reports/results.json
//	contacts-conformance verify reports/ --pubkey vendor.pub
//	contacts-conformance --version
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/publish"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/runner/session"
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

// Main runs the command with the process's arguments, standard streams and environment, until
// it ends or is interrupted, and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
}

// command is a subcommand of the one binary; each parses its own flags and has its own --help.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands, in the order --help lists them.
var commands = []command{
	{"serve", "start the reference server", serve},
	{"expect", "print a starting expectations file (--expect) from a run's failures", expectCommand},
	{"diff", "compare two results.json files: new failures, fixed, still failing, changed settings", diffCommand},
	{"verify", "check a published report folder: its results, reports, claim and (--pubkey) signature", verifyCommand},
	{"version", "print the suite version, the module version and the VCS revision (also --version)", versionCommand},
}

func printCommands(w io.Writer) {
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 {
		name := args[0]
		if name == "--version" || name == "-version" {
			name = "version"
		}
		for _, c := range commands {
			if c.name == name {
				return c.run(ctx, args[1:], stdout, stderr)
			}
		}
	}
	// Whether a person is watching is decided on the real files, before they are wrapped.
	terminal := isTerminal(stdout) && isTerminal(stderr)
	cfg, err := config.Parse(args, getenv, stdout)
	if errors.Is(err, config.ErrHelp) {
		printCommands(stdout)
		return exitConformant
	}
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	// The signing key is read before anything is sent, and redacted like the token.
	var key *publish.SigningKey
	if cfg.SignKey != "" {
		if key, err = publish.LoadSigningKey(cfg.SignKey); err != nil {
			fmt.Fprintf(stderr, "runner: %s\n", err)
			return exitNoRun
		}
	}
	// Every byte the runner prints passes through the redactor, whatever produced it.
	redactor := engine.NewRedactor(cfg.Token, cfg.Redact...)
	redactor.AddWhole(key.Secrets()...)
	stdout = &redactingWriter{w: stdout, r: redactor}
	stderr = &redactingWriter{w: stderr, r: redactor}

	contract, err := spec.Load()
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", oneLine(err))
		return exitNoRun
	}
	selection := engine.Selection{Run: cfg.Run, Skip: cfg.Skip}
	if cfg.ListMarkdown {
		return printMarkdownCatalogue(stdout, stderr, contract)
	}
	claim, err := suites.ParseClaim(contract, cfg.Profile, cfg.Strict)
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	inputs := suites.Config{ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID, HaveToken: true, Seed: cfg.Seed, Claim: claim}
	if cfg.List {
		if err := inputs.Validate(contract); err != nil {
			fmt.Fprintf(stderr, "runner: %s\n", err)
			return exitNoRun
		}
		if printCatalogue(stdout, contract, cfg, selection, claim) == 0 {
			fmt.Fprintln(stderr, "runner: --run/--skip select none of the cases")
			return exitNoRun
		}
		return exitConformant
	}
	// A selection that keeps no case is known before a server is started or a token fetched:
	// every case is built whatever the configuration. The generated inputs count too: --run
	// '^explore/' with --explore runs the generative phase alone.
	all := suites.Build(contract, inputs)
	if generated := suites.Explore(contract, inputs, cfg.Explore); selection.Count(all)+selection.Count(generated) == 0 {
		of := fmt.Sprintf("%d cases", claimedCases(all))
		if len(generated) > 0 {
			of += fmt.Sprintf(" and %d generated inputs", len(generated))
		}
		fmt.Fprintf(stderr, "runner: --run/--skip select none of the %s of the claim (%s) (see --list)\n", of, claim)
		return exitNoRun
	}
	// The expectations file and the baseline are read before anything is sent: a typo in either
	// must not cost a run. Like a bad flag, it is the input's fault, and writes no report.
	expectations, baseline, err := loadComparison(cfg.Comparison, contract)
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	reports, err := reportPaths(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	// writeReports writes every report asked for, and signs --out's; false when one could not be.
	writeReports := func(run *report.Run) bool {
		written := true
		for _, path := range slices.Sorted(maps.Keys(reports)) {
			write := reports[path]
			if err := report.WriteFile(path, func(f io.Writer) error {
				return redactor.Write(f, func(buf io.Writer) error { return write(buf, run) })
			}); err != nil {
				fmt.Fprintf(stderr, "runner: %s\n", err)
				written = false
			}
		}
		return (cfg.OutDir == "" || signReports(cfg.OutDir, key, written, stdout, stderr)) && written
	}
	// From here the input is known good, and a run that cannot be made (the token command fails,
	// the embedded server cannot start) still writes its reports, every case unsent with the
	// reason: a nightly job must not publish the reports an earlier run left at the same paths.
	notMade := func(target string, reason string) int {
		fmt.Fprintf(stderr, "runner: %s\n", reason)
		writeReports(session.NotMade(contract, cfg, session.Target{URL: target, Redactor: redactor, Claim: claim}, reason))
		return exitNoRun
	}

	target := cfg.BaseURL
	tokens := engine.StaticToken(cfg.Token)
	if target == "" {
		srv, err := refserver.Start(refserver.Options{})
		if err != nil {
			return notMade(target, "cannot start the embedded reference server: "+oneLine(err))
		}
		defer srv.Close()
		target = srv.URL
		cfg.Token = srv.Token
		if claim.ReadsContacts(contract) {
			cfg.ContactID, cfg.ForeignContactID = srv.ContactID, srv.ForeignContactID
		}
		tokens = engine.StaticToken(srv.Token)
		redactor.AddToken(srv.Token)
		fmt.Fprintf(stdout, "no --base-url given: running against the embedded reference server at %s\n", srv.URL)
	} else if cfg.TokenCommand != "" {
		if tokens, err = engine.CommandToken(ctx, cfg.TokenCommand, redactor); err != nil {
			return notMade(target, err.Error())
		}
	}
	sess, err := session.Open(contract, cfg, session.Target{
		URL: target, Tokens: tokens, Redactor: redactor, UserAgent: "contacts-conformance/" + report.Version, Expectations: expectations, Claim: claim,
	})
	if err != nil { // the base URL or the transport is wrong, as a bad flag is: no report
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return exitNoRun
	}
	for _, w := range sess.Warnings {
		fmt.Fprintf(stderr, "runner: %s\n", w)
	}

	build := buildInfo()
	out := &textReporter{w: stdout, verbose: cfg.Verbose, quiet: cfg.Quiet, total: len(sess.Cases)}
	if terminal && !cfg.Quiet {
		out.progress = stderr
	}
	out.header(contract, target, cfg, build, claim)
	// The ids are checked before anything is sent; a wrong one still leaves reports that say why
	// the run was not judged.
	preflight, failure := sess.Preflight(ctx)
	out.preflight(preflight)
	var results []*engine.Result
	if preflight.Failed() {
		fmt.Fprintf(stderr, "runner: %s\n", failure)
		results = sess.Unjudged()
	} else {
		// The generated inputs go out with the fixed cases, on the same workers; their results
		// are then folded, each distinct finding shrunk and reported once, after everything the
		// catalogue names.
		var explored []*engine.Result
		results, explored = sess.Run(ctx, sess.Cases, true, out.result)
		out.total += len(explored)
		for i, r := range explored {
			out.result(len(results)+i, r)
		}
		results = append(results, explored...)
	}
	run := sess.Record(results)
	run.Build = build
	if baseline != nil {
		run.Baseline = report.Compare(baseline, run, cfg.BaselineFile, "")
	}
	out.summary(run, tokens.Renewals())
	for _, w := range run.Warnings {
		fmt.Fprintf(stderr, "runner: %s\n", w)
	}

	if !writeReports(run) {
		return exitNoRun
	}
	return exitCodes[run.Verdict()]
}

// exitCodes maps the verdict every report states to the exit code.
var exitCodes = map[string]int{
	report.Conformant:    exitConformant,
	report.KnownFailures: exitConformant,
	report.NotConformant: exitFailures,
	// The file, not the server, is wrong; still the run fails until the file is edited.
	report.OutdatedExpectations: exitFailures,
	report.Incomplete:           exitNoRun,
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
