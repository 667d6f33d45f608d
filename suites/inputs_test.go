package suites_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// A case skipped for a missing input names the setting that would let it run, in the driver's own
// terms: the flag and its variable by default, the names a driver gives otherwise.
func TestSkipReasonsNameTheSetting(t *testing.T) {
	contract, err := spec.Load()
	require.NoError(t, err)
	tests := []struct {
		name                            string
		names                           suites.Inputs
		wantToken, wantOwn, wantForeign string
	}{
		{"the runner's flags", suites.Inputs{},
			"needs a token: set --token or CONFORMANCE_TOKEN",
			"needs a contact the token can see: set --contact-id or CONFORMANCE_CONTACT_ID",
			"needs a contact of another company: set --foreign-contact-id or CONFORMANCE_FOREIGN_CONTACT_ID"},
		{"a target's fields", suites.Inputs{Token: "Target.Token", ContactID: "Target.ContactID", ForeignContactID: "Target.ForeignContactID"},
			"needs a token: set Target.Token",
			"needs a contact the token can see: set Target.ContactID",
			"needs a contact of another company: set Target.ForeignContactID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withToken := byID(suites.Build(contract, suites.Config{HaveToken: true, Seed: 1, Names: tt.names}))
			assert.Equal(t, tt.wantOwn, withToken["malformed-id/known-id-sql-suffix/getContactById"].Skip)
			assert.Equal(t, tt.wantForeign, withToken["unknown-id/foreign/getContactById"].Skip)
			assert.Equal(t, tt.wantForeign, withToken["unknown-id/foreign-upper-case/getContactById"].Skip)
			assert.Equal(t, tt.wantForeign, withToken["unknown-id/foreign-lowercase-scheme/getContactById"].Skip)
			assert.Equal(t, tt.wantOwn, withToken["ok/known-upper-case/getContactById"].Skip)
			without := byID(suites.Build(contract, suites.Config{Seed: 1, Names: tt.names}))
			assert.Equal(t, tt.wantToken, without["auth/lowercase-scheme/listCampaigns"].Skip)
		})
	}
}

func byID(cases []*suites.Case) map[string]*suites.Case {
	m := map[string]*suites.Case{}
	for _, c := range cases {
		m[c.ID] = c
	}
	return m
}
