package api_test

import (
	"testing"

	"github.com/contacts-conformance/suite/runner/conformancetest"

	"example.com/contacts/api"
)

// TestConformance runs the Contacts API conformance suite against the router, in-process, on
// every go test: each case is a subtest named by its case id.
func TestConformance(t *testing.T) {
	conformancetest.Run(t, conformancetest.Target{
		Handler:          api.NewRouter(),
		Token:            api.TestToken,
		ContactID:        "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", // a contact of the token's company, only ever read
		ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110", // a contact of another company, only ever read
	})
}
