// Package spec owns the contract: the embedded OpenAPI document, loading and validating it once,
// the list of operations the suites derive their cases from, and validating a response against an
// operation with kin-openapi.
package spec

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

//go:embed openapi.yaml
var embedded []byte

// Embedded returns the bytes of the OpenAPI document compiled into the binary.
func Embedded() []byte { return embedded }

// Contract is a loaded, validated OpenAPI document with what the suites need precomputed, so that
// nothing is parsed or compiled again while cases run.
type Contract struct {
	Doc *openapi3.T
	// Hash is the SHA-256 of the document's bytes; reports carry it so a published verdict names
	// exactly the contract it was measured against.
	Hash       string
	Operations []*Operation
	byID       map[string]*Operation
	schemaOpts []openapi3.SchemaValidationOption
	// quick is nil when the document needs what only kin-openapi's full walk knows.
	quick *quickChecker
}

// Operation is one documented method on one path.
type Operation struct {
	ID     string
	Method string
	Path   string // the template, e.g. /contact/{id}
	// IDParam is the name of the path parameter holding a resource id, empty for collections.
	IDParam string
	// Input names the configuration the user gives values of IDParam with (the parameter's
	// x-conformance-input): "contact" for an operation that reads the contacts the user names
	// with --contact-id and --foreign-contact-id. Empty when the user gives none.
	Input string
	// Profile is the conformance profile the operation belongs to (its x-conformance-profile): a
	// vendor claims profiles, and a case is claimed with its operation.
	Profile string
	// Params are the documented parameters, the path's first, then the query's, each by name.
	Params  []*Param
	Secured bool
	// Statuses are the documented response codes, ascending.
	Statuses []int
	Op       *openapi3.Operation
	route    *routers.Route
}

// Param is one documented parameter, as the suites derive values for it.
type Param struct {
	Name     string
	In       string // openapi3.ParameterInPath or openapi3.ParameterInQuery
	Required bool
	Schema   *openapi3.Schema
	// MaxItems marks a query parameter that bounds how many items a list holds
	// (x-conformance-max-items), so that a list's length is checked against its value.
	MaxItems bool
}

// Documents reports whether the operation documents the status code.
func (o *Operation) Documents(status int) bool {
	for _, s := range o.Statuses {
		if s == status {
			return true
		}
	}
	return false
}

// Load loads and validates the embedded document.
func Load() (*Contract, error) { return LoadData(embedded) }

// LoadData loads and validates an OpenAPI document, so that a run against a broken contract stops
// before it sends anything.
func LoadData(data []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("spec: cannot parse the OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("spec: the OpenAPI document is not valid: %w", err)
	}
	sum := sha256.Sum256(data)
	c := &Contract{
		Doc:        doc,
		Hash:       hex.EncodeToString(sum[:]),
		byID:       map[string]*Operation{},
		schemaOpts: []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.EnableFormatValidation()},
	}
	formats := formatValidators()
	for name, v := range formats {
		c.schemaOpts = append(c.schemaOpts, openapi3.WithStringFormatValidator(name, v))
	}
	// Visiting as a response only matters for writeOnly properties (which a response must not
	// carry), and costs a sort of every object's property names: a document without any is
	// validated the same without it, faster, and the quick check, which does not know writeOnly,
	// can serve it.
	if declaresWriteOnly(doc) {
		c.schemaOpts = append(c.schemaOpts, openapi3.VisitAsResponse())
	} else {
		c.quick = newQuickChecker(doc, formats, c.schemaOpts)
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("spec: %s %s has no operationId; every case is named after one", method, path)
			}
			o := &Operation{ID: op.OperationID, Method: method, Path: path, Op: op}
			if o.Profile, err = profileOf(op); err != nil {
				return nil, err
			}
			for _, p := range append(item.Parameters, op.Parameters...) {
				v := p.Value
				if v.In != openapi3.ParameterInPath && v.In != openapi3.ParameterInQuery {
					continue // headers and cookies: the API documents none
				}
				if v.Schema == nil || v.Schema.Value == nil {
					return nil, fmt.Errorf("spec: parameter %s of %s has no schema; the suite derives its values from one", v.Name, op.OperationID)
				}
				param := &Param{Name: v.Name, In: v.In, Required: v.Required, Schema: v.Schema.Value}
				param.MaxItems, _ = v.Extensions[maxItemsExtension].(bool)
				if v.In == openapi3.ParameterInPath {
					o.IDParam = v.Name
					if input, ok := v.Extensions[inputExtension].(string); ok {
						o.Input = input
					}
				}
				o.Params = append(o.Params, param)
			}
			sort.SliceStable(o.Params, func(i, j int) bool {
				if o.Params[i].In != o.Params[j].In {
					return o.Params[i].In == openapi3.ParameterInPath
				}
				return o.Params[i].Name < o.Params[j].Name
			})
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			o.Secured = len(security) > 0
			for code := range op.Responses.Map() {
				n, err := strconv.Atoi(code)
				if err != nil {
					return nil, fmt.Errorf("spec: %s documents response %q; the suite needs explicit status codes", o.ID, code)
				}
				o.Statuses = append(o.Statuses, n)
			}
			sort.Ints(o.Statuses)
			// The route is built by hand rather than found by a router: the suite always knows
			// which operation it called, and routers match the document's servers, which never
			// name the host under test.
			o.route = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			if c.byID[o.ID] != nil {
				return nil, fmt.Errorf("spec: operationId %q is used twice", o.ID)
			}
			c.byID[o.ID] = o
			c.Operations = append(c.Operations, o)
		}
	}
	sort.Slice(c.Operations, func(i, j int) bool { return c.Operations[i].ID < c.Operations[j].ID })
	return c, nil
}

// The document's extensions for the suite: what OpenAPI cannot say but the cases derive from.
const (
	// inputExtension marks the parameter whose values the user configures, so that the suites
	// find the operation that reads the configured contact through the document rather than by
	// its path.
	inputExtension = "x-conformance-input"
	// maxItemsExtension marks a query parameter that bounds the length of the list answered.
	maxItemsExtension = "x-conformance-max-items"
	// orderExtension, on an object schema, lists date-time properties whose values never
	// decrease in that order (a record is not updated before it is created).
	orderExtension = "x-conformance-order"
	// profileExtension names the profile an operation belongs to, the unit a vendor claims.
	profileExtension = "x-conformance-profile"
)

// FullProfile is the profile of every operation, claimed by default; no operation names it.
const FullProfile = "full"

var profileName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// profileOf reads an operation's x-conformance-profile: every operation belongs to one, so that a
// new endpoint can be claimed, and a profile's name can be given on a command line.
func profileOf(op *openapi3.Operation) (string, error) {
	name, _ := op.Extensions[profileExtension].(string)
	switch {
	case name == "":
		return "", fmt.Errorf("spec: %s has no %s; every operation belongs to a profile a vendor can claim", op.OperationID, profileExtension)
	case name == FullProfile:
		return "", fmt.Errorf("spec: %s names the profile %q, which stands for every operation; give it a profile of its own", op.OperationID, FullProfile)
	case !profileName.MatchString(name):
		return "", fmt.Errorf("spec: the %s of %s, %q, is not a name of lower-case words joined by hyphens", profileExtension, op.OperationID, name)
	}
	return name, nil
}

// Order lists the date-time properties of an object schema whose values never decrease in that
// order (x-conformance-order), or nil.
func Order(schema *openapi3.Schema) []string {
	raw, _ := schema.Extensions[orderExtension].([]any)
	var names []string
	for _, v := range raw {
		if name, ok := v.(string); ok {
			names = append(names, name)
		}
	}
	return names
}

// CheckIDParam validates a value the user configured for the operation's id parameter against the
// parameter's schema, formats included, before anything is sent.
func (c *Contract) CheckIDParam(o *Operation, value string) error {
	for _, p := range o.Params {
		if p.Name == o.IDParam && p.In == openapi3.ParameterInPath {
			return c.CheckParam(p, value)
		}
	}
	return nil
}

// CheckParam validates a string parameter's value against its schema, formats included.
func (c *Contract) CheckParam(p *Param, value string) error {
	if err := p.Schema.VisitJSON(value, c.schemaOpts...); err != nil {
		if p.Schema.Format == "uuid" {
			return errors.New("not a UUID")
		}
		if p.Schema.Format != "" {
			return fmt.Errorf("not a %s", p.Schema.Format)
		}
		return fmt.Errorf("not valid for parameter %s", p.Name)
	}
	return nil
}

// Operation returns the operation with the given operationId, or nil.
func (c *Contract) Operation(id string) *Operation { return c.byID[id] }

// PathMethods returns the methods documented on a path template, upper case and sorted.
func (c *Contract) PathMethods(path string) []string {
	item := c.Doc.Paths.Value(path)
	if item == nil {
		return nil
	}
	var methods []string
	for m := range item.Operations() {
		methods = append(methods, strings.ToUpper(m))
	}
	sort.Strings(methods)
	return methods
}

// declaresWriteOnly reports whether any schema of the document, in its components or its
// responses, declares a writeOnly property.
func declaresWriteOnly(doc *openapi3.T) bool {
	seen := map[*openapi3.Schema]bool{}
	var walk func(ref *openapi3.SchemaRef) bool
	walk = func(ref *openapi3.SchemaRef) bool {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return false
		}
		s := ref.Value
		seen[s] = true
		if s.WriteOnly || walk(s.Items) || walk(s.Not) || walk(s.AdditionalProperties.Schema) {
			return true
		}
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, sub := range group {
				if walk(sub) {
					return true
				}
			}
		}
		for _, p := range s.Properties {
			if walk(p) {
				return true
			}
		}
		return false
	}
	return eachRootSchema(doc, walk)
}

// eachRootSchema calls fn with every schema of the document's components and of its responses'
// bodies, until fn returns true.
func eachRootSchema(doc *openapi3.T, fn func(*openapi3.SchemaRef) bool) bool {
	if doc.Components != nil {
		for _, schema := range doc.Components.Schemas {
			if fn(schema) {
				return true
			}
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, media := range resp.Value.Content {
					if fn(media.Schema) {
						return true
					}
				}
			}
		}
	}
	return false
}
