package conformancetest_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/contacts-conformance/suite/runner/conformancetest"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// newRouter stands for the API's router; here it is the suite's reference server.
func newRouter() http.Handler {
	h, err := refserver.NewHandler(refserver.Options{Token: "Conformance-Test-Token"})
	if err != nil {
		panic(err)
	}
	return h
}

// conformance is the body of TestConformance(t *testing.T) in an API team's repository: the whole
// suite against the router, in-process, each case a subtest (go test -run 'Conformance/auth/').
// SHOULD-level findings fail, and a known failure is listed in the team's expectations file.
func conformance(t *testing.T) {
	conformancetest.Run(t, conformancetest.Target{
		Handler:          newRouter(),
		Token:            "Conformance-Test-Token",
		ContactID:        "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40",
		ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110",
	}, conformancetest.Strict(), conformancetest.Expect("testdata/conformance.expect"))
}

// staging is the same suite against a running staging server, with a short-lived token that is
// fetched again when it expires.
func staging(t *testing.T) {
	conformancetest.Run(t, conformancetest.Target{
		BaseURL: "https://staging.example.com/v1",
		TokenFunc: func(ctx context.Context) (string, error) {
			return os.Getenv("STAGING_TOKEN"), nil // an identity provider's client in practice
		},
		ContactID: "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40",
	}, conformancetest.RateLimit(5), conformancetest.Seed(1))
}

func Example() {
	_, _ = conformance, staging
}
