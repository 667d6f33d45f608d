package spec

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/xeipuuv/gojsonschema"
)

// This file derives, from the document, a JSON Schema (draft-04) of each response body, so that a
// second validator independent of kin-openapi (gojsonschema) can judge the same bodies. The repo's
// differential test feeds both the same bodies: a disagreement is a bug in one of them, or in this
// translation, and would otherwise make the suite's verdicts depend on which library it happens
// to use.

// The formats are registered under names of their own rather than over gojsonschema's "uuid",
// "date-time" and "date": gojsonschema's registry is global, and another user of it in the same
// program keeps the checkers it expects. Its own "uuid" would not do anyway: it accepts lower-case
// hex only, and the contract accepts upper-case UUIDs.
//
// The checkers are written here from RFC 3339 section 5.6 and RFC 9562 as regular expressions,
// apart from the hand-written ones the first validator uses (formats.go), so that a value one of
// them wrongly accepts shows up in the differential test as a disagreement.
var (
	rfc3339FullDate = `[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])`
	rfc3339DateTime = regexp.MustCompile(`^` + rfc3339FullDate + `[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)
	rfc3339Date     = regexp.MustCompile(`^` + rfc3339FullDate + `$`)
	uuidLayout      = regexp.MustCompile(`^[[:xdigit:]]{8}(-[[:xdigit:]]{4}){3}-[[:xdigit:]]{12}$`)
)

// dayExists checks the month's length, leap years included, with the standard library's calendar.
func dayExists(fullDate string) bool {
	_, err := time.Parse(time.DateOnly, fullDate)
	return err == nil
}

func grammarDateTime(s string) bool { return rfc3339DateTime.MatchString(s) && dayExists(s[:10]) }
func grammarDate(s string) bool     { return rfc3339Date.MatchString(s) && dayExists(s) }

const (
	jsonSchemaUUID     = "contract-uuid"
	jsonSchemaDateTime = "contract-date-time"
	jsonSchemaDate     = "contract-date"
)

var jsonSchemaFormats = map[string]string{"uuid": jsonSchemaUUID, "date-time": jsonSchemaDateTime, "date": jsonSchemaDate}

var registerFormats sync.Once

type formatChecker func(string) bool

func (f formatChecker) IsFormat(input any) bool {
	s, ok := input.(string)
	return !ok || f(s) // formats constrain strings only; the type is another keyword's business
}

// BodySchema returns the schema of the JSON body the operation documents for a status, or nil when
// that status is undocumented or has no JSON body.
func (o *Operation) BodySchema(status int) *openapi3.Schema {
	ref := o.Op.Responses.Status(status)
	if ref == nil || ref.Value == nil {
		return nil
	}
	media := ref.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return nil
	}
	return media.Schema.Value
}

// CompileJSONSchema derives the JSON Schema of a schema of the document and compiles it with
// gojsonschema.
func CompileJSONSchema(schema *openapi3.Schema) (*gojsonschema.Schema, error) {
	registerFormats.Do(func() {
		gojsonschema.FormatCheckers.Add(jsonSchemaUUID, formatChecker(uuidLayout.MatchString))
		gojsonschema.FormatCheckers.Add(jsonSchemaDateTime, formatChecker(grammarDateTime))
		gojsonschema.FormatCheckers.Add(jsonSchemaDate, formatChecker(grammarDate))
	})
	doc, err := JSONSchema(schema)
	if err != nil {
		return nil, err
	}
	compiled, err := gojsonschema.NewSchema(gojsonschema.NewGoLoader(doc))
	if err != nil {
		return nil, fmt.Errorf("spec: the derived JSON Schema does not compile: %w", err)
	}
	return compiled, nil
}

// JSONSchema translates a schema of the document (OpenAPI 3.0) into a self-contained JSON Schema
// draft-04 document, every $ref resolved in place. A keyword it does not translate is an error
// rather than silently dropped, so that the second validator never judges a weaker schema than
// the first.
func JSONSchema(schema *openapi3.Schema) (map[string]any, error) {
	out, err := translate(schema, nil)
	if err != nil {
		return nil, err
	}
	out["$schema"] = "http://json-schema.org/draft-04/schema#"
	return out, nil
}

// ignoredKeywords are annotations: they do not take part in validating a response.
var ignoredKeywords = map[string]bool{
	"title": true, "description": true, "example": true, "default": true, "externalDocs": true,
	"deprecated": true, "xml": true, "readOnly": true,
}

// sameInDraft04 are the keywords whose meaning OpenAPI 3.0 took over from draft-04 unchanged
// (exclusiveMinimum and exclusiveMaximum are booleans in both).
var sameInDraft04 = []string{
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
	"maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
	"required",
}

// translatedKeywords are the ones translate rewrites itself.
var translatedKeywords = map[string]bool{
	"type": true, "nullable": true, "format": true, "enum": true, "properties": true,
	"additionalProperties": true, "items": true, "allOf": true, "anyOf": true, "oneOf": true, "not": true,
}

func translate(s *openapi3.Schema, path []*openapi3.Schema) (map[string]any, error) {
	for _, seen := range path {
		if seen == s {
			return nil, fmt.Errorf("spec: JSON Schema derivation: a recursive schema cannot be resolved in place")
		}
	}
	path = append(path, s)
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("spec: JSON Schema derivation: %w", err)
	}
	var keywords map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keywords); err != nil {
		return nil, fmt.Errorf("spec: JSON Schema derivation: %w", err)
	}
	out := map[string]any{}
	for _, k := range sameInDraft04 {
		if v, ok := keywords[k]; ok {
			out[k] = v
		}
	}
	for k := range keywords {
		if !ignoredKeywords[k] && !translatedKeywords[k] && out[k] == nil && !strings.HasPrefix(k, "x-") {
			return nil, fmt.Errorf("spec: JSON Schema derivation does not translate the keyword %q", k)
		}
	}
	if s.Format != "" {
		name, ok := jsonSchemaFormats[s.Format]
		if !ok {
			return nil, fmt.Errorf("spec: JSON Schema derivation has no checker for the format %q", s.Format)
		}
		out["format"] = name
	}
	if err := translateChildren(s, path, out); err != nil {
		return nil, err
	}
	return nullability(s, out), nil
}

func translateChildren(s *openapi3.Schema, path []*openapi3.Schema, out map[string]any) error {
	one := func(ref *openapi3.SchemaRef) (map[string]any, error) {
		if ref == nil {
			return nil, fmt.Errorf("spec: JSON Schema derivation: an empty subschema")
		}
		if ref.Value == nil {
			return nil, fmt.Errorf("spec: JSON Schema derivation: unresolved reference %q", ref.Ref)
		}
		return translate(ref.Value, path)
	}
	many := func(refs openapi3.SchemaRefs) ([]any, error) {
		list := make([]any, len(refs))
		for i, ref := range refs {
			t, err := one(ref)
			if err != nil {
				return nil, err
			}
			list[i] = t
		}
		return list, nil
	}
	for keyword, refs := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "anyOf": s.AnyOf, "oneOf": s.OneOf} {
		if len(refs) == 0 {
			continue
		}
		list, err := many(refs)
		if err != nil {
			return err
		}
		out[keyword] = list
	}
	for keyword, ref := range map[string]*openapi3.SchemaRef{"not": s.Not, "items": s.Items, "additionalProperties": s.AdditionalProperties.Schema} {
		if ref == nil {
			continue
		}
		t, err := one(ref)
		if err != nil {
			return err
		}
		out[keyword] = t
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, ref := range s.Properties {
			t, err := one(ref)
			if err != nil {
				return err
			}
			props[name] = t
		}
		out["properties"] = props
	}
	if ap := s.AdditionalProperties; ap.Schema == nil && ap.Has != nil {
		out["additionalProperties"] = *ap.Has
	}
	return nil
}

// nullability translates OpenAPI 3.0's null handling, which draft-04 spells differently: there,
// null is a type like any other, so a schema without a type accepts it. In OpenAPI 3.0, as
// kin-openapi reads it, a nullable schema accepts null before any other keyword (enum included) is
// consulted; otherwise allOf, anyOf and oneOf alone judge a null when present; otherwise null is
// refused, even by the empty schema.
func nullability(s *openapi3.Schema, out map[string]any) map[string]any {
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if s.Nullable && !containsNull(enum) {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	var types []any
	if s.Type != nil {
		types = sortedCopy(s.Type.Slice())
	}
	switch len(types) {
	case 0:
	case 1:
		out["type"] = types[0]
	default:
		out["type"] = types
	}
	composition := map[string]any{}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if out[k] != nil {
			composition[k] = out[k]
		}
	}
	null := map[string]any{"type": "null"}
	switch {
	case s.Nullable && len(types) > 0 && len(composition) == 0:
		out["type"] = append(types, "null")
		return out
	case s.Nullable:
		return map[string]any{"anyOf": []any{null, out}}
	case len(composition) > 0 && len(types) > 0:
		// The type would refuse the null that the composition is left to judge.
		if out["not"] != nil {
			composition["not"] = out["not"]
		}
		return map[string]any{"anyOf": []any{map[string]any{"allOf": []any{null, composition}}, out}}
	case len(composition) > 0 || len(types) > 0:
		return out // the composition, or the type, refuses null on its own
	default:
		return map[string]any{"allOf": []any{out, map[string]any{"not": null}}}
	}
}

func containsNull(values []any) bool {
	for _, v := range values {
		if v == nil {
			return true
		}
	}
	return false
}

func sortedCopy(ss []string) []any {
	c := append([]string(nil), ss...)
	sort.Strings(c)
	out := make([]any, len(c))
	for i, s := range c {
		out[i] = s
	}
	return out
}
