package spec

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/spec/refserver"
)

// referenceBodies returns the reference server's answers to the documented operations, small
// lists included, with the schema each is validated against.
func referenceBodies(t *testing.T, c *Contract) map[string]struct {
	schema *openapi3.Schema
	value  any
} {
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	requests := []struct {
		op, method, path string
		auth             bool
	}{
		{"getContactById", http.MethodGet, "/contact/" + fx.OwnContactIDs()[0], true},
		{"getContactById", http.MethodGet, "/contact/00000000-0000-0000-0000-000000000000", true},
		{"getContactById", http.MethodGet, "/contact/not-a-uuid", true},
		{"getContactById", http.MethodPost, "/contact/00000000-0000-0000-0000-000000000000", true},
		{"listPhoneNumbers", http.MethodGet, "/phone_number", true},
		{"listPhoneNumbers", http.MethodGet, "/phone_number", false},
		{"listCampaigns", http.MethodGet, "/campaign/list?limit=2", true},
		{"listCampaigns", http.MethodGet, "/campaign/list?limit=0", true},
		{"listOutboundWebhookFlows", http.MethodGet, "/webhook/flow/company/outbound", true},
	}
	out := map[string]struct {
		schema *openapi3.Schema
		value  any
	}{}
	for _, r := range requests {
		_, rec := serveReference(t, 0, r.method, r.path, r.auth)
		media := c.Operation(r.op).Op.Responses.Status(rec.Code).Value.Content.Get(rec.Header().Get("Content-Type"))
		require.NotNil(t, media, "%s %s: %d", r.method, r.path, rec.Code)
		value, err := DecodeJSON(rec.Body.Bytes())
		require.NoError(t, err)
		out[fmt.Sprintf("%s %s %d", r.method, r.path, rec.Code)] = struct {
			schema *openapi3.Schema
			value  any
		}{media.Schema.Value, value}
	}
	return out
}

// The quick check must serve the answers of a conformant server itself: otherwise it only adds
// work.
func TestQuickCheckAcceptsTheReferenceAnswers(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	require.NotNil(t, c.quick, "the document has no writeOnly property, so the quick check serves it")
	for name, b := range referenceBodies(t, c) {
		require.NoError(t, b.schema.VisitJSON(b.value, c.schemaOpts...), name)
		assert.True(t, c.quick.accepts(b.schema, b.value), name)
	}
}

// The quick check may say "not sure" of a valid value, never "valid" of an invalid one: every
// one-step corruption of every reference answer is put to both, and kin-openapi must agree with
// each "valid" of the quick check. On this document the quick check is also complete: it is sure
// of every value kin-openapi accepts, so valid answers never pay for the full walk.
func TestQuickCheckAgreesWithKinOpenAPI(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	for name, b := range referenceBodies(t, c) {
		rejected := 0
		for _, m := range mutations(b.value) {
			kinErr := b.schema.VisitJSON(m.value, c.schemaOpts...)
			quick := c.quick.accepts(b.schema, m.value)
			if quick {
				require.NoError(t, kinErr, "%s: the quick check accepted %s", name, m.desc)
			}
			if kinErr != nil {
				rejected++
			} else {
				assert.True(t, quick, "%s: the quick check was not sure of %s, which is valid", name, m.desc)
			}
		}
		assert.Positive(t, rejected, "%s: the corruptions must include invalid answers", name)
	}
}

type mutation struct {
	desc  string
	value any
}

// replacements are put in place of every value of a document: each type, the document's formats
// and patterns, well and badly formed.
var replacements = []any{
	nil, true, false, 0.0, -1.0, 1.5, 7.0, 1e300, "", "x", "active", "outbound", "ok", "error",
	"6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", "6F1C2A4E-8B3D-4C55-9E0A-2F7D9B1C3E40", "6f1c2a4e8b3d4c559e0a2f7d9b1c3e40",
	"2025-01-08T16:02:11Z", "2023-10-01T12:00:00", "2025-01-10", "2023-02-29", "09:00:00", "24:00:00",
	map[string]any{}, map[string]any{"x": 1.0}, []any{}, []any{"a"}, []any{[]any{"a"}}, []any{1.0}, []any{nil},
}

// mutations returns copies of v, each with one change: a value replaced, a key removed, or a key
// added.
func mutations(v any) []mutation {
	var out []mutation
	var walk func(path string, cur any, set func(any) any)
	walk = func(path string, cur any, set func(any) any) {
		for _, r := range replacements {
			out = append(out, mutation{fmt.Sprintf("%s = %#v", path, r), set(r)})
		}
		switch cur := cur.(type) {
		case map[string]any:
			for k, child := range cur {
				without := func() any {
					m := copyMap(cur)
					delete(m, k)
					return set(m)
				}
				out = append(out, mutation{"without " + path + "/" + k, without()})
				walk(path+"/"+k, child, func(x any) any {
					m := copyMap(cur)
					m[k] = x
					return set(m)
				})
			}
			m := copyMap(cur)
			m["x_extra"] = 1.0
			out = append(out, mutation{"extra key in " + path, set(m)})
		case []any:
			for i, child := range cur {
				walk(fmt.Sprintf("%s/%d", path, i), child, func(x any) any {
					l := append([]any(nil), cur...)
					l[i] = x
					return set(l)
				})
			}
		}
	}
	walk("", v, func(x any) any { return x })
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// A document using keywords the quick check does not implement, and schemas that apply each other
// to the same value in a cycle: the quick check must hand them to kin-openapi, never loop, and
// never accept what kin-openapi rejects.
const unusualSchemas = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Unusual:
      type: object
      required: [closed, one, not, short, escaped, unique, few, props, bounded, multiple, int32, nullableAll, numbers, open, cycle]
      properties:
        closed:
          type: object
          additionalProperties: false
          properties: {a: {type: string}}
        open:
          type: object
          additionalProperties: {type: integer, minimum: 0}
        one:
          oneOf: [{type: string}, {type: integer}]
        not:
          not: {type: string}
        short: {type: string, minLength: 2, maxLength: 3}
        escaped: {type: string, pattern: '^\u0061+$'}
        unique: {type: array, uniqueItems: true, items: {type: integer}}
        few: {type: array, maxItems: 1, items: {}}
        props: {type: object, minProperties: 1}
        bounded: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 10}
        multiple: {type: number, multipleOf: 0.5}
        int32: {type: integer, format: int32}
        nullableAll:
          nullable: true
          allOf: [{type: string}]
        numbers: {type: number, enum: [1, 2]}
        cycle:
          $ref: '#/components/schemas/Cycle'
    Cycle:
      allOf: [{$ref: '#/components/schemas/CycleBack'}]
    CycleBack:
      anyOf: [{$ref: '#/components/schemas/Cycle'}, {type: string}]
`

func TestQuickCheckLeavesUnknownKeywordsToKinOpenAPI(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(unusualSchemas))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	formats := formatValidators()
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.EnableFormatValidation()}
	for name, v := range formats {
		opts = append(opts, openapi3.WithStringFormatValidator(name, v))
	}
	q := newQuickChecker(doc, formats, opts)
	schema := doc.Components.Schemas["Unusual"].Value
	valid := map[string]any{
		"closed": map[string]any{"a": "x"}, "open": map[string]any{"n": 1.0}, "one": "x", "not": 1.0, "short": "ab",
		"escaped": "aa", "unique": []any{1.0, 2.0}, "few": []any{"x"}, "props": map[string]any{"k": 1.0}, "bounded": 10.0,
		"multiple": 1.5, "int32": 7.0, "nullableAll": "x", "numbers": 2.0, "cycle": "x",
	}
	require.NoError(t, schema.VisitJSON(valid, opts...))
	assert.True(t, q.accepts(schema, valid))
	rejected := 0
	for _, m := range mutations(valid) {
		kinErr := schema.VisitJSON(m.value, opts...)
		if q.accepts(schema, m.value) {
			require.NoError(t, kinErr, "the quick check accepted %s", m.desc)
		}
		if kinErr != nil {
			rejected++
		}
	}
	assert.Greater(t, rejected, 100)
	for _, name := range []string{"closed", "open"} {
		n := q.nodes[schema.Properties[name].Value]
		assert.Nil(t, n.delegate, "%s is one of the quick check's own keywords", name)
	}
	for _, name := range []string{"one", "not", "short", "escaped", "unique", "few", "props", "bounded", "multiple", "int32", "nullableAll", "numbers"} {
		n := q.nodes[schema.Properties[name].Value]
		assert.NotNil(t, n.delegate, "%s must be left to kin-openapi", name)
	}
}

// A document with a writeOnly property is validated as a response by kin-openapi alone: the
// quick check does not know writeOnly.
func TestWriteOnlyPropertiesAreReportedInResponses(t *testing.T) {
	doc := strings.Replace(string(Embedded()), "        firstname:\n", "        password:\n          type: string\n          writeOnly: true\n        firstname:\n", 1)
	require.NotEqual(t, string(Embedded()), doc, "the edit must apply")
	c, err := LoadData([]byte(doc))
	require.NoError(t, err)
	assert.Nil(t, c.quick)
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	contact := copyMap(fx.Contacts[0])
	schema := c.Doc.Components.Schemas["Contact"].Value
	require.Empty(t, c.ValidateValue(schema, contact))
	contact["password"] = "hunter2"
	got := c.ValidateValue(schema, contact)
	require.Len(t, got, 1)
	assert.Contains(t, got[0].String(), "writeOnly")
}
