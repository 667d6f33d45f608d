package spec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/xeipuuv/gojsonschema"
)

// This file derives, from the document, a JSON Schema (draft-04) of each response body, so that a
// second validator independent of kin-openapi (gojsonschema) can judge the same bodies. The repo's
// differential test feeds both the same bodies: a disagreement is a bug in one of them, or in this
// translation, and would otherwise make the suite's verdicts depend on which library it happens
// to use.

// The formats are registered under names of their own rather than over gojsonschema's "uuid",
// "date-time" and "date": gojsonschema's registry is global, and embedding the suite in another
// program must change nothing there. Its own "uuid" would not do anyway: it accepts lower-case
// hex only, and the contract accepts upper-case UUIDs.
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
		gojsonschema.FormatCheckers.Add(jsonSchemaUUID, formatChecker(IsUUID))
		gojsonschema.FormatCheckers.Add(jsonSchemaDateTime, formatChecker(IsDateTime))
		gojsonschema.FormatCheckers.Add(jsonSchemaDate, formatChecker(IsDate))
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

// IsUUID reports whether s is a UUID in the contract's sense: the 8-4-4-4-12 layout of hex digits,
// in any case and of any version (v1 to v8, nil, max). It is written apart from the regular
// expression kin-openapi validates with, so that the two validators do not share the rule's code.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// IsDate reports whether s is an RFC 3339 full-date (YYYY-MM-DD) naming a day that exists.
func IsDate(s string) bool {
	return len(s) == 10 && validFullDate(s)
}

// IsDateTime reports whether s is an RFC 3339 date-time (section 5.6): a full-date, "T", a time
// with seconds and an optional fraction, and a zone ("Z" or an offset).
//
// It is not gojsonschema's own date-time checker, which disagrees with RFC 3339 and with
// kin-openapi (the differential test found each case): it accepts a date alone ("2025-03-14") and
// a time alone ("09:26:53"), and, going through time.Parse, accepts a comma before the fraction
// and an offset of +24:00, and rejects the leap second 23:59:60 that the RFC's grammar allows. This one follows the grammar, as kin-openapi does: seconds up to
// 60, an offset of at most 23:59, and, like kin-openapi, only the upper-case "T" and "Z" (the RFC
// lets an application allow lower case; the contract does not).
func IsDateTime(s string) bool {
	if len(s) < len("2006-01-02T15:04:05Z") || !validFullDate(s[:10]) || s[10] != 'T' {
		return false
	}
	rest := s[11:]
	if !twoDigits(rest[0:2], 23) || rest[2] != ':' || !twoDigits(rest[3:5], 59) || rest[5] != ':' || !twoDigits(rest[6:8], 60) {
		return false
	}
	rest = rest[8:]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && twoDigits(rest[1:3], 23) && rest[3] == ':' && twoDigits(rest[4:6], 59)
}

func validFullDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	year := atoi(s[0:4])
	month, day := atoi(s[5:7]), atoi(s[8:10])
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func twoDigits(s string, max int) bool {
	return len(s) == 2 && isDigit(s[0]) && isDigit(s[1]) && atoi(s) <= max
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoi reads a string of ASCII digits already checked by the caller.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
