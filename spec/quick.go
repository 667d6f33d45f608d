package spec

import (
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The quick check answers one question fast: is a decoded body certainly valid? kin-openapi's
// walk costs about 10 µs per campaign (it sorts every object's keys, allocates per value, and
// builds what an error would need even when there is none), which makes a 10,000-item list
// cost more than its trip over the network. Valid bodies are the common case, so each schema
// of the document is compiled once, at Load, into a node that checks the keywords it knows with
// kin-openapi's exact semantics and hands every other schema to kin-openapi itself.
//
// It can only say "valid" or "not sure". "Not sure" sends the value to kin-openapi's full walk,
// which then gives every violation with its pointer exactly as before: the quick check makes
// valid bodies cheaper and never changes a verdict or a message.

// node is one compiled schema. Exactly one of its kinds applies.
type node struct {
	// delegate, when set, is checked by kin-openapi: its keywords are not the quick check's.
	delegate *openapi3.Schema
	// never is a schema that cannot be checked at all (an unresolved reference).
	never bool
	// any is the empty schema: every value but null.
	any        bool
	allOf      []*node
	anyOf      []*node
	typ        string // one OpenAPI 3.0 type, with the keywords below
	nullable   bool
	enum       map[string]bool // strings only
	format     openapi3.StringFormatValidator
	pattern    *regexp.Regexp
	min, max   *float64
	properties map[string]*node
	required   []string
	closed     bool  // additionalProperties: false
	additional *node // additionalProperties: a schema
	items      *node
	opts       []openapi3.SchemaValidationOption // the contract's, for delegate
}

// quickChecker holds the compiled schemas of a document.
type quickChecker struct {
	nodes   map[*openapi3.Schema]*node
	formats map[string]openapi3.StringFormatValidator
	opts    []openapi3.SchemaValidationOption
	// composing holds the allOf and anyOf schemas being compiled: they apply to the same value,
	// so meeting one again is a cycle that would never end on that value.
	composing map[*openapi3.Schema]bool
}

// newQuickChecker compiles every schema reachable from the document's components and responses.
func newQuickChecker(doc *openapi3.T, formats map[string]openapi3.StringFormatValidator, opts []openapi3.SchemaValidationOption) *quickChecker {
	q := &quickChecker{nodes: map[*openapi3.Schema]*node{}, formats: formats, opts: opts, composing: map[*openapi3.Schema]bool{}}
	eachRootSchema(doc, func(ref *openapi3.SchemaRef) bool {
		q.compile(ref)
		return false
	})
	return q
}

// accepts reports whether kin-openapi would certainly find value valid against schema; false
// means "ask kin-openapi".
func (q *quickChecker) accepts(schema *openapi3.Schema, value any) bool {
	n := q.nodes[schema]
	return n != nil && n.accepts(value)
}

// supported are the fields of a schema whose meaning the typed node implements; a schema that
// sets any other field goes to kin-openapi. Listing what is known, rather than what is not,
// keeps a schema using a keyword added to kin-openapi later on the safe side.
func supported(s *openapi3.Schema) bool {
	rest := *s
	rest.Extensions, rest.Origin = nil, nil // no effect on validation
	rest.Title, rest.Description, rest.Example, rest.ExternalDocs, rest.Deprecated = "", "", nil, nil, false
	rest.Type, rest.Nullable, rest.Enum, rest.Format, rest.Min, rest.Max = nil, false, nil, "", nil, nil
	rest.Properties, rest.Required, rest.AdditionalProperties, rest.Items = nil, nil, openapi3.AdditionalProperties{}, nil
	rest.Pattern = ""
	return reflect.ValueOf(rest).IsZero()
}

func (q *quickChecker) compile(ref *openapi3.SchemaRef) *node {
	if ref == nil || ref.Value == nil {
		return &node{never: true}
	}
	s := ref.Value
	if q.composing[s] {
		// kin-openapi knows when it meets a schema again on the same value.
		return &node{delegate: s, opts: q.opts}
	}
	if n, ok := q.nodes[s]; ok {
		return n
	}
	n := &node{}
	// Registered before its children, so that a schema that recurses into the values it holds
	// compiles to a cycle of nodes, which the finite depth of a value ends.
	q.nodes[s] = n
	switch {
	case s.IsEmpty():
		n.any = true
	case onlyComposition(s, s.AllOf):
		n.allOf = q.compileAll(s, s.AllOf)
	case onlyComposition(s, s.AnyOf):
		n.anyOf = q.compileAll(s, s.AnyOf)
	case !q.compileTyped(n, s):
		*n = node{delegate: s, opts: q.opts}
	}
	return n
}

func (q *quickChecker) compileAll(s *openapi3.Schema, list openapi3.SchemaRefs) []*node {
	q.composing[s] = true
	defer delete(q.composing, s)
	nodes := make([]*node, len(list))
	for i, sub := range list {
		nodes[i] = q.compile(sub)
	}
	return nodes
}

// onlyComposition reports whether s is nothing but the given allOf or anyOf list.
func onlyComposition(s *openapi3.Schema, list openapi3.SchemaRefs) bool {
	if len(list) == 0 {
		return false
	}
	rest := *s
	rest.Extensions, rest.Origin, rest.Title, rest.Description, rest.Example = nil, nil, "", "", nil
	rest.AllOf, rest.AnyOf = nil, nil
	if len(s.AllOf) > 0 && len(s.AnyOf) > 0 {
		return false
	}
	return reflect.ValueOf(rest).IsZero()
}

func (q *quickChecker) compileTyped(n *node, s *openapi3.Schema) bool {
	if !supported(s) || s.Type == nil || len(*s.Type) != 1 {
		return false
	}
	n.typ, n.nullable, n.min, n.max = (*s.Type)[0], s.Nullable, s.Min, s.Max
	switch n.typ {
	case openapi3.TypeString:
		if s.Min != nil || s.Max != nil || !n.compilePattern(s.Pattern) {
			return false
		}
		if s.Format != "" {
			if n.format = q.formats[s.Format]; n.format == nil {
				return false
			}
		}
		if len(s.Enum) > 0 {
			n.enum = map[string]bool{}
			for _, e := range s.Enum {
				str, ok := e.(string)
				if !ok {
					return false
				}
				n.enum[str] = true
			}
		}
	case openapi3.TypeInteger, openapi3.TypeNumber:
		if s.Format != "" || len(s.Enum) > 0 || s.Pattern != "" {
			return false
		}
	case openapi3.TypeBoolean:
		if s.Format != "" || len(s.Enum) > 0 || s.Min != nil || s.Max != nil || s.Pattern != "" {
			return false
		}
	case openapi3.TypeObject:
		if s.Format != "" || len(s.Enum) > 0 || s.Min != nil || s.Max != nil || s.Pattern != "" {
			return false
		}
		n.required = s.Required
		n.properties = map[string]*node{}
		for name, p := range s.Properties {
			n.properties[name] = q.compile(p)
		}
		if has := s.AdditionalProperties.Has; has != nil && !*has {
			n.closed = true
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			n.additional = q.compile(ap)
		}
	case openapi3.TypeArray:
		if s.Format != "" || len(s.Enum) > 0 || s.Min != nil || s.Max != nil || s.Pattern != "" {
			return false
		}
		n.items = q.compile(s.Items)
	default:
		return false
	}
	return true
}

// compilePattern compiles a string pattern the way kin-openapi does, for the patterns where that
// is plain regexp.Compile: kin-openapi rewrites \uXXXX escapes first, so those stay its business.
func (n *node) compilePattern(pattern string) bool {
	if pattern == "" {
		return true
	}
	if strings.Contains(pattern, `\u`) {
		return false
	}
	re, err := regexp.Compile(pattern)
	n.pattern = re
	return err == nil
}

func (n *node) accepts(value any) bool {
	switch {
	case n.delegate != nil:
		return n.delegate.VisitJSON(value, n.opts...) == nil
	case n.never:
		return false
	case n.any:
		return value != nil
	case n.allOf != nil:
		if value == nil {
			return false
		}
		for _, sub := range n.allOf {
			if !sub.accepts(value) {
				return false
			}
		}
		return true
	case n.anyOf != nil:
		if value == nil {
			return false
		}
		for _, sub := range n.anyOf {
			if sub.accepts(value) {
				return true
			}
		}
		return false
	}
	switch v := value.(type) {
	case nil:
		return n.nullable
	case string:
		return n.typ == openapi3.TypeString && (n.enum == nil || n.enum[v]) &&
			(n.pattern == nil || n.pattern.MatchString(v)) && (n.format == nil || n.format.Validate(v) == nil)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
		switch n.typ {
		case openapi3.TypeInteger:
			if v != math.Trunc(v) {
				return false
			}
		case openapi3.TypeNumber:
		default:
			return false
		}
		return (n.min == nil || *n.min <= v) && (n.max == nil || *n.max >= v)
	case bool:
		return n.typ == openapi3.TypeBoolean
	case map[string]any:
		return n.typ == openapi3.TypeObject && n.acceptsObject(v)
	case []any:
		if n.typ != openapi3.TypeArray {
			return false
		}
		for _, item := range v {
			if !n.items.accepts(item) {
				return false
			}
		}
		return true
	}
	// Values the decoder never produces (json.Number, int, ...) are kin-openapi's business.
	return false
}

func (n *node) acceptsObject(v map[string]any) bool {
	for _, name := range n.required {
		if _, ok := v[name]; !ok {
			return false
		}
	}
	for key, value := range v {
		if p, ok := n.properties[key]; ok {
			if !p.accepts(value) {
				return false
			}
			continue
		}
		if n.closed || n.additional != nil && !n.additional.accepts(value) {
			return false
		}
	}
	return true
}
