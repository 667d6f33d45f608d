package spec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

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
	return c.ValidateDecoded(op, req, status, header, body, func() (any, error) { return DecodeJSON(body) })
}

// ValidateDecoded is ValidateResponse for a caller that decodes the body itself, with
// DecodeJSON, and keeps the value for its own checks: decode is called at most once, only when
// the body is documented as JSON, so a large list is decoded once per response, not twice.
func (c *Contract) ValidateDecoded(op *Operation, req *http.Request, status int, header http.Header, body []byte, decode func() (any, error)) []Violation {
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
	return append(out, c.validateBody(op, status, header, decode)...)
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
	// kin-openapi appends the schema and the value as indented JSON on further lines; the first
	// line names the header and the rule, which is what a reader needs.
	first, _, _ := strings.Cut(err.Error(), "\n")
	return Shorten(first, 300)
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}

func (c *Contract) validateBody(op *Operation, status int, header http.Header, decode func() (any, error)) []Violation {
	ref := op.Op.Responses.Status(status)
	if ref == nil || ref.Value == nil || len(ref.Value.Content) == 0 {
		return nil
	}
	ct := header.Get("Content-Type")
	media := ref.Value.Content.Get(ct)
	if media == nil {
		return []Violation{{Message: fmt.Sprintf("Content-Type %q is not documented for %d (documented: %s)", Shorten(ct, 200), status, strings.Join(contentTypes(ref.Value.Content), ", "))}}
	}
	if media.Schema == nil || media.Schema.Value == nil {
		return nil
	}
	value, err := decode()
	if err != nil {
		return []Violation{{Message: err.Error()}}
	}
	return c.ValidateValue(media.Schema.Value, value)
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
	if c.quick != nil && c.quick.accepts(schema, value) {
		return nil
	}
	err := schema.VisitJSON(value, c.schemaOpts...)
	if err == nil {
		return nil
	}
	var out []Violation
	collect(err, &out)
	sort.SliceStable(out, func(i, j int) bool { return pointerLess(out[i].Pointer, out[j].Pointer) })
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
	return Shorten(string(b), 80)
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

// pointerLess orders JSON pointers as a reader expects: array indexes by value, so /data/4 comes
// before /data/12.
func pointerLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		an, aErr := strconv.Atoi(as[i])
		bn, bErr := strconv.Atoi(bs[i])
		if aErr == nil && bErr == nil {
			return an < bn
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}
