package suites

import (
	"fmt"
	"net/http"

	"github.com/contacts-conformance/suite/spec"
)

// The preflight establishes, before any case is judged, what the cases rely on: that the base URL
// serves this API, that the token is accepted, that the configured contacts are what the user
// says they are. The engine sends the reads listed here and judges their answers; a read that is
// the same request as a case's is not sent twice.

// ReadRole says what a preflight read establishes.
type ReadRole string

const (
	// ReadAnonymous is a documented read without credentials, sent first: a base URL that does
	// not serve the API (an HTML site, a router's 404, a TLS port spoken to in plain HTTP) shows
	// before the token is sent anywhere.
	ReadAnonymous ReadRole = "anonymous"
	// ReadCollection is a documented read of a collection with the valid credentials.
	ReadCollection ReadRole = "collection"
	// ReadContact reads the configured contact; ReadForeign the configured foreign contact.
	ReadContact ReadRole = "contact"
	ReadForeign ReadRole = "foreign"
	// ReadUnknown reads an unknown id with the valid credentials: the one read that can show the
	// token accepted when the claim holds no collection and no contact is configured.
	ReadUnknown ReadRole = "unknown"
)

// Read is one request of the preflight.
type Read struct {
	Role      ReadRole
	Operation *spec.Operation
	Request   Request
	// Input names the setting the read's id came from (--contact-id, or its environment
	// variable under go test), for messages; for an unknown id's read, the setting that would
	// give a record to read instead; empty for collections.
	Input string
	// ID is the configured id the read asks for.
	ID string
}

// Case is the read as a case the engine can send: no checks, nothing judged.
func (r Read) Case() *Case {
	return &Case{ID: "preflight/" + string(r.Role) + "/" + r.Operation.ID, Area: "preflight", Operation: r.Operation, Request: r.Request}
}

// Inputs name the settings in messages and skip reasons: flags for the runner, environment
// variables for a driver configured from the environment, a Target's fields for
// runner/conformancetest. The zero value names the flags.
type Inputs struct {
	ContactID, ForeignContactID, Token string
}

func (in Inputs) contact() string {
	if in.ContactID == "" {
		return "--contact-id"
	}
	return in.ContactID
}

func (in Inputs) foreign() string {
	if in.ForeignContactID == "" {
		return "--foreign-contact-id"
	}
	return in.ForeignContactID
}

// configuredRead is the operation that reads the contacts the user configures, found through the
// document (its id parameter's x-conformance-input), or nil.
func configuredRead(c *spec.Contract) *spec.Operation {
	for _, op := range c.Operations {
		if op.Input == "contact" && op.IDParam != "" && op.Method == http.MethodGet {
			return op
		}
	}
	return nil
}

// InputError is a configured id that cannot be right, found before anything is sent.
type InputError struct {
	// Check is the setting at fault, as the preflight names its facts: contact-id or
	// foreign-contact-id.
	Check string
	Err   error
}

func (e *InputError) Error() string { return e.Err.Error() }

// Validate checks the configured ids before anything is sent: each must be a valid value of the
// parameter it fills (a UUID), and the two must differ. The error names the setting.
func (cfg Config) Validate(c *spec.Contract) *InputError {
	op := configuredRead(c)
	for _, in := range []struct{ check, name, value string }{
		{"contact-id", cfg.Names.contact(), cfg.ContactID}, {"foreign-contact-id", cfg.Names.foreign(), cfg.ForeignContactID},
	} {
		if in.value == "" {
			continue
		}
		if op == nil {
			return &InputError{in.check, fmt.Errorf("%s is set, but no operation of the document reads a configured contact", in.name)}
		}
		if !cfg.Claim.Covers(op.ID) {
			return &InputError{in.check, fmt.Errorf("%s is set, but the claim (%s) leaves out %s, which reads it: leave it out, or claim the %s profile too", in.name, cfg.Claim, op.ID, op.Profile)}
		}
		if err := c.CheckIDParam(op, in.value); err != nil {
			return &InputError{in.check, fmt.Errorf("%s %q is %v, as the %s parameter of %s must be", in.name, in.value, err, op.IDParam, op.ID)}
		}
	}
	if cfg.ContactID != "" && sameUUID(cfg.ContactID, cfg.ForeignContactID) {
		return &InputError{"foreign-contact-id", fmt.Errorf("%s and %s are the same id (%s): the foreign one must be a contact of another company than the token's", cfg.Names.contact(), cfg.Names.foreign(), cfg.ContactID)}
	}
	return nil
}

// PreflightReads lists the preflight's requests, in the order they are judged: one read without
// credentials, every claimed collection with them, the configured contact and the configured
// foreign contact. Only claimed operations are read, since a server need not serve the others.
// When the claim holds no collection, the read without credentials is the claimed read of an id
// (the configured contact, or an unknown id), and without a configured contact an unknown id is
// read with the credentials too. Each is the same request as a case's, so a run sends none of
// them twice.
func PreflightReads(c *spec.Contract, cfg Config) []Read {
	var reads []Read
	for _, op := range c.Operations {
		if op.Method != http.MethodGet || op.IDParam != "" || !cfg.Claim.Covers(op.ID) {
			continue
		}
		if len(reads) == 0 && op.Secured {
			reads = append(reads, Read{Role: ReadAnonymous, Operation: op, Request: Request{Method: http.MethodGet, Path: op.Path, Auth: Auth{Omit: true}}})
		}
		reads = append(reads, Read{Role: ReadCollection, Operation: op, Request: Request{Method: http.MethodGet, Path: op.Path, Auth: Bearer}})
	}
	if len(reads) == 0 {
		reads = idReads(c, cfg)
	}
	if op := configuredRead(c); op != nil && cfg.Claim.Covers(op.ID) {
		b := builder{op: op}
		for _, in := range []struct {
			role     ReadRole
			name, id string
		}{{ReadContact, cfg.Names.contact(), cfg.ContactID}, {ReadForeign, cfg.Names.foreign(), cfg.ForeignContactID}} {
			if in.id != "" {
				reads = append(reads, Read{Role: in.role, Operation: op, Input: in.name, ID: in.id,
					Request: Request{Method: http.MethodGet, Path: b.path(in.id), Auth: Bearer}})
			}
		}
	}
	return reads
}

// idReads are the reads of a claim that holds no collection: a claimed read of an id, without
// credentials and, unless a contact is configured, with them for an unknown id. They are the
// requests of that operation's first case answered 401 without credentials and of its first case
// answered 404 with them, so that no request is sent twice.
func idReads(c *spec.Contract, cfg Config) []Read {
	var anonymous, unknown *Case
	for _, cs := range Build(c, cfg) {
		op := cs.Operation
		switch {
		case cs.Unclaimed != "" || op.Method != http.MethodGet || op.IDParam == "" || !op.Secured || cs.Request.Query != nil || cs.Request.Header != nil:
		case anonymous == nil && cs.Expect == http.StatusUnauthorized && cs.Request.Auth.Omit:
			anonymous = cs
		case unknown == nil && anonymous != nil && op == anonymous.Operation && cs.Expect == http.StatusNotFound && cs.Request.Auth == Bearer:
			unknown = cs
		}
	}
	if anonymous == nil {
		return nil
	}
	reads := []Read{{Role: ReadAnonymous, Operation: anonymous.Operation, Request: anonymous.Request}}
	if unknown != nil && cfg.ContactID == "" && cfg.HaveToken {
		reads = append(reads, Read{Role: ReadUnknown, Operation: unknown.Operation, Request: unknown.Request, Input: cfg.Names.contact()})
	}
	return reads
}

// IsEnvelope reports whether a decoded body has the shape of the contract's envelope: an object
// with a string "status". It is the sign that a base URL serves this API, whatever else is wrong
// with the answer.
func IsEnvelope(body any) bool {
	obj, ok := body.(map[string]any)
	if !ok {
		return false
	}
	_, ok = obj["status"].(string)
	return ok
}

// CompanyOf is the company_id of the record an envelope carries ("" when it carries none), or, for
// a list, the company all its items that carry one share ("" when they differ or none does).
func CompanyOf(body any) string {
	obj, _ := body.(map[string]any)
	switch data := obj["data"].(type) {
	case map[string]any:
		company, _ := data["company_id"].(string)
		return company
	case []any:
		shared := ""
		for _, item := range data {
			rec, _ := item.(map[string]any)
			company, _ := rec["company_id"].(string)
			switch {
			case company == "":
			case shared == "":
				shared = company
			case !sameUUID(shared, company):
				return ""
			}
		}
		return shared
	}
	return ""
}

// RecordID is the id of the record an envelope carries, or "".
func RecordID(body any) string {
	obj, _ := body.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	id, _ := data["id"].(string)
	return id
}

// SameID compares two ids as the contract does: UUIDs case-insensitively.
func SameID(a, b string) bool { return sameUUID(a, b) }
