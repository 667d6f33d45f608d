package runner

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/contacts-conformance/suite/spec/refserver"
)

// serve runs the reference server on its own until interrupted, for people developing a client.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("serve", "usage: contacts-conformance serve [--addr 127.0.0.1:8080] [--fault NAME] ...\n\n"+
		"Serves the reference server until interrupted: the contract faithfully, or with one fault of\n"+
		"--list-faults, for developing a client or trying the suite.\n")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	token := fs.String("token", "", "bearer token to accept (default: the fixtures' token, see docs/teeth.md)")
	prefix := fs.String("prefix", "", `path prefix the API lives under, e.g. "/v1"`)
	latency := fs.Duration("latency", 0, "delay added before every answer")
	campaigns := fs.Int("campaigns", 0, "serve this many generated campaigns instead of the fixtures' (load and memory tests)")
	fault := fs.String("fault", "", "inject one named fault (see --list-faults)")
	listFaults := fs.Bool("list-faults", false, "print the fault catalogue and exit")
	quirks := fs.String("quirks", "", "apply conformant quirks, comma-separated (see --list-quirks)")
	listQuirks := fs.Bool("list-quirks", false, "print the quirk catalogue and exit")
	if code, done := fs.parse(args, stdout, stderr); done {
		return code
	}
	if *listFaults {
		for _, f := range refserver.Faults() {
			catches := f.Catches
			if f.Strict {
				catches += " (SHOULD: --strict)"
			}
			fmt.Fprintf(stdout, "%-32s %-14s %-23s %s\n", f.Name, f.Area, catches, f.Description)
		}
		return exitConformant
	}
	if *listQuirks {
		for _, q := range refserver.Quirks() {
			fmt.Fprintf(stdout, "%-24s %s\n", q.Name, q.Description)
		}
		return exitConformant
	}
	if *prefix != "" && !strings.HasPrefix(*prefix, "/") {
		fmt.Fprintf(stderr, "runner serve: --prefix %q must start with /\n", *prefix)
		return exitNoRun
	}
	opts := refserver.Options{Token: *token, Prefix: *prefix, Latency: *latency, Fault: *fault}
	if *quirks != "" {
		opts.Quirks = strings.Split(*quirks, ",")
	}
	if *campaigns != 0 {
		fx, err := refserver.EmbeddedFixtures()
		if err == nil {
			err = fx.SetCampaigns(*campaigns)
		}
		if err != nil {
			fmt.Fprintf(stderr, "runner serve: --campaigns: %s\n", oneLine(err))
			return exitNoRun
		}
		opts.Fixtures = fx
	}
	srv, err := refserver.StartOn(*addr, opts)
	if err != nil {
		fmt.Fprintf(stderr, "runner serve: %s\n", oneLine(err))
		return exitNoRun
	}
	fmt.Fprintf(stdout, "reference server listening on %s\n", srv.URL)
	fmt.Fprintf(stdout, "  contact id:         %s\n  foreign contact id: %s\n", srv.ContactID, srv.ForeignContactID)
	if *token == "" {
		fmt.Fprintln(stdout, "  token:              the fixtures' token (docs/teeth.md, \"The reference server\")")
	}
	if *fault != "" {
		fmt.Fprintf(stdout, "  injecting fault:    %s\n", *fault)
	}
	if *quirks != "" {
		fmt.Fprintf(stdout, "  quirks:             %s\n", *quirks)
	}
	<-ctx.Done()
	srv.Close()
	return exitConformant
}
