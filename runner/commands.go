package runner

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/contacts-conformance/suite/runner/config"
	"github.com/contacts-conformance/suite/runner/expect"
	"github.com/contacts-conformance/suite/runner/publish"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
)

// loadComparison reads the expectations file and the baseline a run is held against; either may
// be absent (nil).
func loadComparison(c config.Comparison, contract *spec.Contract) (*expect.File, *report.Run, error) {
	var file *expect.File
	var baseline *report.Run
	var err error
	if c.ExpectFile != "" {
		if file, err = expect.Load(c.ExpectFile, expect.CatalogueOf(contract)); err != nil {
			return nil, nil, fmt.Errorf("--expect %s", err)
		}
	}
	if c.BaselineFile != "" {
		if baseline, err = report.ReadRun(c.BaselineFile); err != nil {
			return nil, nil, fmt.Errorf("--baseline %s", err)
		}
	}
	return file, baseline, nil
}

// commandFlags are a command's flags and the usage its --help prints to stdout; a bad flag is one
// line on stderr.
type commandFlags struct {
	*flag.FlagSet
	usage string
}

func newCommandFlags(name, usage string) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &commandFlags{fs, usage}
}

// parse parses the command's flags; done means the command is over (help was printed, or a bad
// flag reported) with that exit code.
func (fs *commandFlags) parse(args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, fs.usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return exitConformant, true
	case err != nil:
		fmt.Fprintf(stderr, "runner %s: %s (see %s --help)\n", fs.Name(), oneLine(err), fs.Name())
		return exitNoRun, true
	}
	return 0, false
}

// expectCommand prints a starting expectations file from a run's failures.
func expectCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("expect", "usage: contacts-conformance expect --from results.json [--days 30] > conformance.expect\n\n"+
		"Prints an expectations file listing every failing case of the run, each expiring in --days days,\n"+
		"the reason left to fill in. Give it to a run with --expect. Exit 0, or 2 when the file cannot be read.\n")
	from := fs.String("from", "", "the results.json of the run whose failures to list")
	days := fs.Int("days", 30, "days until the entries expire (1 to 365)")
	if code, done := fs.parse(args, stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "runner expect: unexpected argument %q (give the run with --from FILE)\n", fs.Arg(0))
		return exitNoRun
	case *from == "":
		fmt.Fprintln(stderr, "runner expect: give the run's results with --from results.json")
		return exitNoRun
	case *days < 1 || *days > 365:
		fmt.Fprintf(stderr, "runner expect: --days %d is not between 1 and 365; an expected failure is meant to be revisited\n", *days)
		return exitNoRun
	}
	run, err := report.ReadRun(*from)
	if err != nil {
		fmt.Fprintf(stderr, "runner expect: --from %s\n", err)
		return exitNoRun
	}
	contract, err := spec.Load()
	if err != nil {
		fmt.Fprintf(stderr, "runner expect: %s\n", oneLine(err))
		return exitNoRun
	}
	entries, unknown := expect.FromRun(run, time.Now().AddDate(0, 0, *days), expect.CatalogueOf(contract))
	for _, id := range unknown {
		fmt.Fprintf(stderr, "runner expect: left out %s: this suite version has no such case\n", id)
	}
	if err := expect.Write(stdout, expect.GeneratedHeader(run, *from), entries); err != nil {
		fmt.Fprintf(stderr, "runner expect: %s\n", err)
		return exitNoRun
	}
	if len(entries) == 0 {
		fmt.Fprintf(stderr, "runner expect: %s has no failing case, so the file lists none\n", *from)
	}
	return exitConformant
}

// diffCommand compares two runs; a new failure is exit 1.
func diffCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("diff", "usage: contacts-conformance diff OLD.json NEW.json\n\n"+
		"Compares two results.json files, cases matched by id: new failures, fixed cases, cases still\n"+
		"failing, other changed outcomes, and changed settings (suite version, build, spec, configuration).\n"+
		"Exit 1 when a case fails in NEW that did not in OLD, 0 otherwise, 2 when a file is not a results file.\n")
	if code, done := fs.parse(args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "runner diff: give two results files, OLD.json NEW.json (got %d)\n", fs.NArg())
		return exitNoRun
	}
	var runs [2]*report.Run
	for i, path := range fs.Args() {
		run, err := report.ReadRun(path)
		if err != nil {
			fmt.Fprintf(stderr, "runner diff: %s\n", err)
			return exitNoRun
		}
		runs[i] = run
	}
	d := report.Compare(runs[0], runs[1], fs.Arg(0), fs.Arg(1))
	if err := report.WriteDiffText(stdout, d); err != nil {
		fmt.Fprintf(stderr, "runner diff: %s\n", err)
		return exitNoRun
	}
	if d.HasNewFailures() {
		return exitFailures
	}
	return exitConformant
}

// versionCommand prints the version line.
func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("version", "usage: contacts-conformance --version\n\n"+
		"Prints the suite version, then the module version, the VCS revision, whether the tree was\n"+
		"modified and the Go version, from the build information (unknown where the binary carries none).\n")
	if code, done := fs.parse(args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "runner version: unexpected argument %q\n", fs.Arg(0))
		return exitNoRun
	}
	fmt.Fprintln(stdout, versionLine(buildInfo()))
	return exitConformant
}

// verifyCommand checks a published folder: exit 0 for a valid, complete claim, 1 with a line for
// each problem, 2 when the folder cannot be read.
func verifyCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("verify", "usage: contacts-conformance verify DIR [--pubkey vendor.pub]\n\n"+
		"Checks a folder the runner wrote with --out: results.json against its schema, its counts, verdict and\n"+
		"claim against its results, its spec hash against the spec this suite version ships, every case of the\n"+
		"suite among its results, the other reports against it, that the claim is complete and conformant, and\n"+
		"with --pubkey the signature (signature.json) over every report. Prints each problem on a line.\n"+
		"Exit 0 for a valid, complete claim, 1 otherwise, 2 when the folder cannot be read.\n")
	pubkey := fs.String("pubkey", "", "the vendor's Ed25519 public key (PEM, as `openssl pkey -pubout` writes it): the signature must verify with it")
	// The folder may come before the flag, as in "verify DIR --pubkey KEY".
	var dirs []string
	for rest := args; ; {
		if code, done := fs.parse(rest, stdout, stderr); done {
			return code
		}
		if fs.NArg() == 0 {
			break
		}
		dirs, rest = append(dirs, fs.Arg(0)), fs.Args()[1:]
	}
	if len(dirs) != 1 {
		fmt.Fprintf(stderr, "runner verify: give one folder, the --out of a run (got %d)\n", len(dirs))
		return exitNoRun
	}
	dir := dirs[0]
	var pub ed25519.PublicKey
	if *pubkey != "" {
		var err error
		if pub, err = publish.LoadPublicKey(*pubkey); err != nil {
			fmt.Fprintf(stderr, "runner verify: %s\n", err)
			return exitNoRun
		}
	}
	contract, err := spec.Load()
	if err != nil {
		fmt.Fprintf(stderr, "runner verify: %s\n", oneLine(err))
		return exitNoRun
	}
	v, err := publish.Verify(dir, contract, pub)
	if err != nil {
		fmt.Fprintf(stderr, "runner verify: %s\n", err)
		return exitNoRun
	}
	for _, p := range v.Problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stdout, v.Conclusion(dir))
	if !v.Valid() {
		return exitFailures
	}
	return exitConformant
}
