package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Violation is one way a response breaks the document.
type Violation struct {
	// Pointer is the JSON pointer into the body ("/data/created_at"), or "" for the status line
	// and headers.
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

func (v Violation) String() string {
	if v.Pointer == "" {
		return v.Message
	}
	return v.Pointer + ": " + v.Message
}

// ValidateResponse checks a response against what op documents for its status: that the status is
// documented at all, the documented headers, the content type, and every schema violation in the
// body (all of them, each with its JSON pointer). The request is only used for its method; a 405
// answer to another method is validated against the 405 the path's operation documents.
func (c *Contract) ValidateResponse(op *Operation, req *http.Request, status int, header http.Header, body []byte) []Violation {
	var out []Violation
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: validationRequest(req),
			Route:   op.route,
			Options: &openapi3filter.Options{},
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			// Without it, an undocumented status code passes silently.
			IncludeResponseStatus: true,
			// The body is validated below, so that a header error does not hide body errors and
			// every body violation is reported, not only the first.
			ExcludeResponseBody:     true,
			MultiError:              true,
			SchemaValidationOptions: c.schemaOpts,
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		out = append(out, Violation{Message: headerMessage(err, status, op)})
		var re *openapi3filter.ResponseError
		if errors.As(err, &re) && re.Reason == "status is not supported" {
			return out
		}
	}
	return append(out, c.validateBody(op, status, header, body)...)
}

func validationRequest(req *http.Request) *http.Request {
	// kin-openapi skips validation of HEAD responses entirely; the suite never sends HEAD to
	// a documented operation, but a nil request must not reach it either.
	if req == nil {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		return r
	}
	return req
}

func headerMessage(err error, status int, op *Operation) string {
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Reason == "status is not supported" {
		return fmt.Sprintf("status %d is not documented for %s (documented: %s)", status, op.ID, joinInts(op.Statuses))
	}
	return err.Error()
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func (c *Contract) validateBody(op *Operation, status int, header http.Header, body []byte) []Violation {
	ref := op.Op.Responses.Status(status)
	if ref == nil || ref.Value == nil || len(ref.Value.Content) == 0 {
		return nil
	}
	ct := header.Get("Content-Type")
	media := ref.Value.Content.Get(ct)
	if media == nil {
		return []Violation{{Message: fmt.Sprintf("Content-Type %q is not documented for %d (documented: %s)", ct, status, strings.Join(contentTypes(ref.Value.Content), ", "))}}
	}
	if media.Schema == nil || media.Schema.Value == nil {
		return nil
	}
	value, err := DecodeJSON(body)
	if err != nil {
		return []Violation{{Message: err.Error()}}
	}
	return c.ValidateValue(media.Schema.Value, value)
}

// MaxJSONDepth is how deeply nested a body may be. The contract's deepest documented value is
// five levels down (a webhook flow's step's headers); free-form objects get room to spare, and a
// hostile body nested a million deep is refused in one pass before anything recurses over it.
const MaxJSONDepth = 64

// DecodeJSON decodes a body the way the validator sees it, with one clear error for everything
// that is not a single JSON value in UTF-8.
func DecodeJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("the body is empty; a JSON envelope is required")
	}
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("the body is not valid UTF-8 (first invalid byte at offset %d); JSON text must be UTF-8 (RFC 8259 section 8.1)", invalidUTF8(body))
	}
	if tooDeep(body, MaxJSONDepth) {
		return nil, fmt.Errorf("the body nests JSON more than %d levels deep; the suite does not decode it further", MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, fmt.Errorf("the body is not JSON: %v (starts with %q)", err, preview(body))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("the body is not JSON: it holds more than one value (starts with %q)", preview(body))
	}
	return value, nil
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// tooDeep reports whether arrays and objects nest more than limit deep, brackets inside strings
// not counted. It does not validate: a body it passes is still decoded by encoding/json.
func tooDeep(b []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

func preview(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

func contentTypes(c openapi3.Content) []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidateValue validates a decoded JSON value against a schema of the document and returns every
// violation with its JSON pointer.
func (c *Contract) ValidateValue(schema *openapi3.Schema, value any) []Violation {
	err := schema.VisitJSON(value, c.schemaOpts...)
	if err == nil {
		return nil
	}
	var out []Violation
	collect(err, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return dedupe(out)
}

func collect(err error, out *[]Violation) {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			collect(e, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		// allOf and anyOf wrap the errors of their branches; the branches carry the pointers.
		if se.Origin != nil {
			var inner openapi3.MultiError
			if errors.As(se.Origin, &inner) {
				before := len(*out)
				for _, e := range inner {
					collect(e, out)
				}
				if len(*out) > before {
					prefix := pointer(se.JSONPointer())
					for i := before; i < len(*out); i++ {
						(*out)[i].Pointer = prefix + (*out)[i].Pointer
					}
					return
				}
			}
		}
		*out = append(*out, Violation{Pointer: pointer(se.JSONPointer()), Message: schemaMessage(se)})
		return
	}
	*out = append(*out, Violation{Message: err.Error()})
}

func pointer(path []string) string {
	if len(path) == 0 {
		return ""
	}
	escaped := make([]string, len(path))
	for i, p := range path {
		escaped[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return "/" + strings.Join(escaped, "/")
}

var zonelessDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$`)

func schemaMessage(se *openapi3.SchemaError) string {
	msg := se.Reason
	// Format errors quote the whole pattern, which says less than the format's name.
	if i := strings.Index(msg, " (string doesn't match pattern"); i > 0 {
		msg = msg[:i]
	}
	if msg == "" {
		msg = fmt.Sprintf("does not match schema field %q", se.SchemaField)
	}
	if se.SchemaField == "required" || strings.Contains(msg, "property") && strings.Contains(msg, "missing") {
		return msg
	}
	got := describe(se.Value)
	if se.Schema != nil && se.Schema.Format == "date-time" {
		if s, ok := se.Value.(string); ok && zonelessDateTime.MatchString(s) {
			return fmt.Sprintf("%s: got %s, a date-time without a time zone; RFC 3339 requires \"Z\" or an offset such as \"+02:00\"", msg, got)
		}
	}
	if se.Value == nil && se.Schema != nil && !se.Schema.Nullable {
		return fmt.Sprintf("null is not allowed here (the field is not nullable): %s", msg)
	}
	return fmt.Sprintf("%s: got %s", msg, got)
}

func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func dedupe(in []Violation) []Violation {
	seen := map[Violation]bool{}
	out := in[:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
