package suites

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec"
)

// A path parameter's value is never empty nor a dot-segment, derived, generated or shrunk, whatever
// its schema: either would send the request to another route and earn a verdict about that one.
func TestPathValuesStayOneSegment(t *testing.T) {
	const uuidSchema = "      schema:\n        type: string\n        format: uuid\n      example: 6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40"
	for name, schema := range map[string]string{
		"uuid":    uuidSchema,
		"string":  "      schema:\n        type: string\n      example: a-contact",
		"integer": "      schema:\n        type: integer\n      example: 6",
	} {
		t.Run(name, func(t *testing.T) {
			doc := string(spec.Embedded())
			require.Contains(t, doc, uuidSchema)
			c, err := spec.LoadData([]byte(strings.Replace(doc, uuidSchema, schema, 1)))
			require.NoError(t, err)
			claim, err := ParseClaim(c, "", false)
			require.NoError(t, err)
			cfg := Config{HaveToken: true, Seed: 3, Claim: claim}
			segmentOf := func(cs *Case) string { return strings.TrimPrefix(cs.Request.Path, "/contact/") }
			fits := func(cs *Case) {
				t.Helper()
				if cs.Operation.ID == "getContactById" && !strings.HasPrefix(cs.ID, "method/") {
					assert.True(t, segmentOf(cs) != "" && segmentOf(cs) != "." && segmentOf(cs) != "..", "%s: %q", cs.ID, cs.Request.Path)
				}
			}
			for _, cs := range Build(c, cfg) {
				fits(cs)
			}
			generated := Explore(c, cfg, 800)
			require.NotEmpty(t, generated)
			for _, cs := range generated {
				fits(cs)
				if cs.Operation.ID == "getContactById" {
					// A server that fails every input: the shrinker goes as far as it can.
					fits(cs.Shrink(func(*Case) bool { return true }))
				}
			}
		})
	}
}
