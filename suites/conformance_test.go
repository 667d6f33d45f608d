package suites_test

import (
	"os"
	"testing"

	"github.com/contacts-conformance/suite/runner/conformancetest"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// TestConformance is the `go test` driver of the suites, a user of runner/conformancetest like an
// API team's own test: configured from the same environment variables as the runner
// (CONFORMANCE_BASE_URL, CONFORMANCE_TOKEN, CONFORMANCE_TOKEN_COMMAND, CONFORMANCE_RUN, ...), and
// against the embedded reference server's handler when no base URL is set. Each case is a
// subtest named by its id, so `go test ./suites -run 'TestConformance/auth/'` selects an area;
// CONFORMANCE_PROFILE claims profiles as --profile does.
// `make test` removes every CONFORMANCE_ variable from the tests' environment, so it always runs
// against the reference server.
func TestConformance(t *testing.T) {
	target, opts, err := conformancetest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if target.BaseURL == "" {
		h, err := refserver.NewHandler(refserver.Options{})
		if err != nil {
			t.Fatal(err)
		}
		target = conformancetest.Target{Handler: h, Token: h.Token()}
		// The reference server's contacts go with a claim that reads contacts only, as the
		// runner gives them with its embedded server.
		contract, err := spec.Load()
		if err != nil {
			t.Fatal(err)
		}
		if claim, err := suites.ParseClaim(contract, os.Getenv("CONFORMANCE_PROFILE"), false); err == nil && claim.ReadsContacts(contract) {
			target.ContactID, target.ForeignContactID = h.ContactID(), h.ForeignContactID()
		}
	}
	conformancetest.Run(t, target, opts...)
}
