package suites

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
)

var update = flag.Bool("update", false, "rewrite testdata/catalogue.golden from the code")

const goldenCatalogue = "../testdata/catalogue.golden"

// catalogueConfig has every input set, so that no case is left out of the catalogue.
var catalogueConfig = Config{
	ContactID: "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", ForeignContactID: "f0e1d2c3-b4a5-4968-8776-655443322110",
	HaveToken: true, Seed: 1,
}

func catalogue(cases []*Case) string {
	var b strings.Builder
	b.WriteString("# The catalogue of cases: id, the status a conformant server answers, the requirements checked.\n")
	b.WriteString("# Adding or removing a check is a visible change: regenerate with\n")
	b.WriteString("#   go test ./suites -run TestCatalogueMatchesGolden -update\n")
	for _, c := range cases {
		seen := map[string]bool{}
		var ids []string
		for _, ch := range c.Checks {
			if !seen[ch.Req.ID] {
				seen[ch.Req.ID] = true
				ids = append(ids, ch.Req.ID)
			}
		}
		sort.Strings(ids)
		fmt.Fprintf(&b, "%-52s %d  %s\n", c.ID, c.Expect, strings.Join(ids, " "))
	}
	return b.String()
}

// The golden catalogue in testdata/ is compared with what the code defines, as Kubernetes does
// with its conformance list: a check cannot appear or vanish without a reviewed change.
func TestCatalogueMatchesGolden(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	got := catalogue(Build(c, catalogueConfig))
	if *update {
		require.NoError(t, os.WriteFile(goldenCatalogue, []byte(got), 0o644))
	}
	want, err := os.ReadFile(goldenCatalogue)
	require.NoError(t, err, "run: go test ./suites -run TestCatalogueMatchesGolden -update")
	assert.Equal(t, string(want), got, "the cases changed; if that is intended, regenerate %s with -update", filepath.Base(goldenCatalogue))
}

// Every operation and every status it documents has a case; every case names an operation the
// document has. Adding an endpoint to spec/openapi.yaml is therefore enough to get it checked,
// and a documented response nobody exercises fails here.
func TestEveryDocumentedResponseHasACase(t *testing.T) {
	c, err := spec.Load()
	require.NoError(t, err)
	assertCoverage(t, c, Build(c, catalogueConfig))
}

func assertCoverage(t require.TestingT, c *spec.Contract, cases []*Case) {
	covered := map[string]bool{}
	ids := map[string]bool{}
	for _, cs := range cases {
		require.NotNil(t, c.Operation(cs.Operation.ID), "case %s names operation %s, which the document does not have", cs.ID, cs.Operation.ID)
		require.True(t, cs.Operation.Documents(cs.Expect), "case %s expects %d, which %s does not document", cs.ID, cs.Expect, cs.Operation.ID)
		covered[fmt.Sprintf("%s %d", cs.Operation.ID, cs.Expect)] = true
		require.False(t, ids[cs.ID], "case id %s is used twice", cs.ID)
		ids[cs.ID] = true
		require.NotEmpty(t, cs.Checks)
	}
	for _, op := range c.Operations {
		for _, status := range op.Statuses {
			assert.True(t, covered[fmt.Sprintf("%s %d", op.ID, status)], "%s documents %d but no case exercises it", op.ID, status)
		}
	}
}

// The coverage test itself must bite: a document with an extra response, or an extra operation
// nobody derives cases for, fails it.
func TestCoverageFailsOnUncoveredResponse(t *testing.T) {
	doc := strings.Replace(string(spec.Embedded()), "        '406':\n          $ref: '#/components/responses/NotAcceptable'\n  /phone_number:",
		"        '406':\n          $ref: '#/components/responses/NotAcceptable'\n        '409':\n          $ref: '#/components/responses/NotFound'\n  /phone_number:", 1)
	c, err := spec.LoadData([]byte(doc))
	require.NoError(t, err)
	require.True(t, c.Operation("getContactById").Documents(409), "the edit must add a response")
	rec := &recorder{}
	assertCoverage(rec, c, Build(c, catalogueConfig))
	assert.Contains(t, strings.Join(rec.errors, "\n"), "getContactById documents 409 but no case exercises it")
}

// Cases are derived, not listed: a new list endpoint in the document gets its auth, 200 and 405
// cases without a change to this package.
func TestNewEndpointGetsCasesFromTheDocumentAlone(t *testing.T) {
	doc := strings.Replace(string(spec.Embedded()), "  /campaign/list:\n",
		"  /agent/list:\n    get:\n      operationId: listAgents\n      x-conformance-profile: agents\n      responses:\n        '200':\n          $ref: '#/components/responses/NotFound'\n        '401':\n          $ref: '#/components/responses/Unauthorized'\n        '405':\n          $ref: '#/components/responses/MethodNotAllowed'\n  /campaign/list:\n", 1)
	c, err := spec.LoadData([]byte(doc))
	require.NoError(t, err)
	var ids []string
	for _, cs := range Build(c, catalogueConfig) {
		if cs.Operation.ID == "listAgents" {
			ids = append(ids, cs.ID)
		}
	}
	assert.Contains(t, ids, "auth/missing-header/listAgents")
	assert.Contains(t, ids, "ok/list/listAgents")
	assert.Contains(t, ids, "methods/post/listAgents")
	assert.Contains(t, Profiles(c), Profile{Name: "agents", Operations: []string{"listAgents"}}, "its profile, which a vendor can claim")
}

// A parameter added to the document gets cases derived from its schema, its boundaries among them,
// without a change to this package: here an integer query parameter with a maximum.
func TestNewParameterGetsCasesFromItsSchema(t *testing.T) {
	doc := strings.Replace(string(spec.Embedded()), "      parameters:\n        - $ref: '#/components/parameters/Limit'\n",
		"      parameters:\n        - $ref: '#/components/parameters/Limit'\n        - name: offset\n          in: query\n          schema:\n            type: integer\n            minimum: 0\n            maximum: 1000\n", 1)
	c, err := spec.LoadData([]byte(doc))
	require.NoError(t, err)
	byID := map[string]*Case{}
	for _, cs := range Build(c, catalogueConfig) {
		byID[cs.ID] = cs
	}
	for id, want := range map[string]struct {
		expect int
		query  string
	}{
		"list/offset-0/listCampaigns":                     {200, "offset=0"},
		"list/offset-invalid-below-minimum/listCampaigns": {400, "offset=-1"},
		"list/offset-maximum/listCampaigns":               {200, "offset=1000"},
		"list/offset-invalid-above-maximum/listCampaigns": {400, "offset=1001"},
		"list/offset-plus-sign/listCampaigns":             {200, "offset=%2B4"},
		"list/offset-invalid-word/listCampaigns":          {400, "offset=abc"},
		"list/offset-invalid-int32-max/listCampaigns":     {400, "offset=2147483647"},
	} {
		cs := byID[id]
		if !assert.NotNil(t, cs, "no case %s", id) {
			continue
		}
		assert.Equal(t, want.expect, cs.Expect, id)
		assert.Equal(t, want.query, cs.Request.Query.Encode(), id)
	}
	assertCoverage(t, c, Build(c, catalogueConfig))
}

type recorder struct{ errors []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) FailNow() { panic("FailNow") }
func (r *recorder) Helper()  {}
