package suites

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
)

func loadContract(t *testing.T) *spec.Contract {
	t.Helper()
	c, err := spec.Load()
	require.NoError(t, err)
	return c
}

// The profiles come from the document: one per endpoint family, then full with every operation.
func TestProfilesComeFromTheDocument(t *testing.T) {
	c := loadContract(t)
	assert.Equal(t, []Profile{
		{"campaigns", []string{"listCampaigns"}},
		{"contacts", []string{"getContactById"}},
		{"phone-numbers", []string{"listPhoneNumbers"}},
		{"webhook-flows", []string{"listOutboundWebhookFlows"}},
		{"full", []string{"getContactById", "listCampaigns", "listOutboundWebhookFlows", "listPhoneNumbers"}},
	}, Profiles(c))
}

func TestParseClaim(t *testing.T) {
	c := loadContract(t)
	tests := []struct {
		value   string
		strict  bool
		want    string
		covers  []string
		strictO []string
		wantErr string
	}{
		{value: "", want: "full", covers: []string{"getContactById", "listCampaigns", "listOutboundWebhookFlows", "listPhoneNumbers"}},
		{value: "full:strict", want: "full (strict)", covers: []string{"listCampaigns"}, strictO: []string{"getContactById", "listCampaigns", "listOutboundWebhookFlows", "listPhoneNumbers"}},
		{value: "contacts:strict, campaigns", want: "contacts (strict), campaigns", covers: []string{"getContactById", "listCampaigns"}, strictO: []string{"getContactById"}},
		{value: "phone-numbers", strict: true, want: "phone-numbers (strict)", covers: []string{"listPhoneNumbers"}, strictO: []string{"listPhoneNumbers"}},
		{value: "contact", wantErr: `--profile "contact": "contact" is not a profile of this suite; the profiles are campaigns, contacts, phone-numbers, webhook-flows and full`},
		{value: "contacts:strcit", wantErr: `"strcit" is not a qualifier of a profile; the only one is :strict (contacts:strict)`},
		{value: "contacts,,campaigns", wantErr: "names an empty profile"},
		{value: "contacts,contacts:strict", wantErr: "names contacts twice"},
		{value: "full,contacts", wantErr: "full already holds every profile"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			claim, err := ParseClaim(c, tt.value, tt.strict)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, claim.String())
			for _, op := range c.Operations {
				covered := false
				for _, id := range tt.covers {
					covered = covered || id == op.ID
				}
				if covered {
					assert.True(t, claim.Covers(op.ID), op.ID)
				}
				strict := false
				for _, id := range tt.strictO {
					strict = strict || id == op.ID
				}
				assert.Equal(t, strict, claim.StrictFor(op.ID), "strict for %s", op.ID)
			}
			if tt.value == "contacts:strict, campaigns" {
				assert.False(t, claim.Covers("listPhoneNumbers"))
				assert.Equal(t, "", claim.ProfileOf("listPhoneNumbers"))
				assert.Equal(t, "campaigns", claim.ProfileOf("listCampaigns"))
			}
		})
	}
}

// Every case of an operation outside the claim is marked, with the reason reports show; the cases
// of a profile claimed strictly are strict; and nothing else about the cases changes.
func TestBuildMarksTheCasesOutsideTheClaim(t *testing.T) {
	c := loadContract(t)
	claim, err := ParseClaim(c, "contacts:strict", false)
	require.NoError(t, err)
	cfg := catalogueConfig
	cfg.Claim = claim
	all := Build(c, catalogueConfig)
	claimed := Build(c, cfg)
	require.Len(t, claimed, len(all))
	for i, cs := range claimed {
		assert.Equal(t, all[i].ID, cs.ID)
		if cs.Operation.ID == "getContactById" {
			assert.Empty(t, cs.Unclaimed, cs.ID)
			assert.True(t, cs.Strict, cs.ID)
			continue
		}
		assert.False(t, cs.Strict, cs.ID)
		assert.Equal(t, "not claimed: "+cs.Operation.ID+" is in the "+cs.Operation.Profile+" profile, which the claim (contacts (strict)) leaves out; nothing was sent", cs.Unclaimed)
	}
	for _, cs := range all {
		assert.Empty(t, cs.Unclaimed, "without a claim every case is claimed: %s", cs.ID)
	}
}

// The generative phase spends its whole budget on the claimed reads.
func TestExploreSpendsItsBudgetOnTheClaim(t *testing.T) {
	c := loadContract(t)
	claim, err := ParseClaim(c, "campaigns,phone-numbers", false)
	require.NoError(t, err)
	cases := Explore(c, Config{HaveToken: true, Seed: 3, Claim: claim}, 100)
	require.Len(t, cases, 100)
	ops := map[string]int{}
	for _, cs := range cases {
		ops[cs.Operation.ID]++
		assert.Empty(t, cs.Unclaimed)
	}
	assert.Len(t, ops, 2, "only the claimed reads: %v", ops)
	assert.Positive(t, ops["listCampaigns"])
	assert.Positive(t, ops["listPhoneNumbers"])
}

// The preflight reads only what is claimed. With no collection claimed, the read without
// credentials is the claimed id read's own 401 case and, without a configured contact, an unknown
// id is read with the token: each the request of a case, so nothing is sent twice.
func TestPreflightReadsFollowTheClaim(t *testing.T) {
	c := loadContract(t)
	contacts, err := ParseClaim(c, "contacts", false)
	require.NoError(t, err)
	lists, err := ParseClaim(c, "phone-numbers,webhook-flows", false)
	require.NoError(t, err)
	requestOf := func(cfg Config, id string) Request {
		for _, cs := range Build(c, cfg) {
			if cs.ID == id {
				return cs.Request
			}
		}
		t.Fatalf("no case %s", id)
		return Request{}
	}
	type read struct {
		role ReadRole
		op   string
	}
	roles := func(reads []Read) []read {
		var out []read
		for _, r := range reads {
			out = append(out, read{r.Role, r.Operation.ID})
		}
		return out
	}

	bare := Config{HaveToken: true, Seed: 5, Claim: contacts}
	reads := PreflightReads(c, bare)
	assert.Equal(t, []read{{ReadAnonymous, "getContactById"}, {ReadUnknown, "getContactById"}}, roles(reads))
	assert.Equal(t, requestOf(bare, "auth/missing-header/getContactById"), reads[0].Request)
	assert.Equal(t, requestOf(bare, "unknown-id/random-1/getContactById"), reads[1].Request)
	assert.Equal(t, Bearer, reads[1].Request.Auth)

	configured := Config{ContactID: catalogueConfig.ContactID, ForeignContactID: catalogueConfig.ForeignContactID, HaveToken: true, Seed: 5, Claim: contacts}
	reads = PreflightReads(c, configured)
	assert.Equal(t, []read{{ReadAnonymous, "getContactById"}, {ReadContact, "getContactById"}, {ReadForeign, "getContactById"}}, roles(reads))
	assert.Equal(t, "/contact/"+catalogueConfig.ContactID, reads[0].Request.Path, "the configured contact, without credentials")
	assert.True(t, reads[0].Request.Auth.Omit)

	reads = PreflightReads(c, Config{HaveToken: true, Seed: 5, Claim: lists})
	assert.Equal(t, []read{{ReadAnonymous, "listOutboundWebhookFlows"}, {ReadCollection, "listOutboundWebhookFlows"}, {ReadCollection, "listPhoneNumbers"}}, roles(reads))

	full := PreflightReads(c, Config{HaveToken: true, Seed: 5})
	assert.Equal(t, []read{{ReadAnonymous, "listCampaigns"}, {ReadCollection, "listCampaigns"}, {ReadCollection, "listOutboundWebhookFlows"}, {ReadCollection, "listPhoneNumbers"}}, roles(full))
	for _, r := range reads {
		assert.Equal(t, http.MethodGet, r.Request.Method)
	}
}

// The contacts the user configures are read by the contacts profile's operation: given with a
// claim that leaves it out, they are refused before anything is sent.
func TestConfiguredContactsNeedTheirProfile(t *testing.T) {
	c := loadContract(t)
	lists, err := ParseClaim(c, "campaigns", false)
	require.NoError(t, err)
	cfg := Config{ContactID: catalogueConfig.ContactID, HaveToken: true, Claim: lists}
	refused := cfg.Validate(c)
	require.NotNil(t, refused)
	assert.Equal(t, "contact-id", refused.Check)
	assert.Equal(t, "--contact-id is set, but the claim (campaigns) leaves out getContactById, which reads it: leave it out, or claim the contacts profile too", refused.Error())
	assert.False(t, lists.ReadsContacts(c))
	cfg.ContactID = ""
	assert.Nil(t, cfg.Validate(c))
}

// CaseIDs are the ids of the catalogue, whatever the inputs: verify holds a published run to them.
func TestCaseIDsAreTheCatalogue(t *testing.T) {
	c := loadContract(t)
	var want []string
	for _, cs := range Build(c, catalogueConfig) {
		want = append(want, cs.ID)
	}
	assert.Equal(t, want, CaseIDs(c))
}
