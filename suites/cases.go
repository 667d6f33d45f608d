package suites

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/contacts-conformance/suite/spec"
)

// Config is what the cases need to know about the server under test. Nothing in it is secret.
type Config struct {
	// ContactID is a contact the token can see; ForeignContactID one of another company.
	ContactID        string
	ForeignContactID string
	// HaveToken is false when no token was given: cases that need one are skipped.
	HaveToken bool
	// Seed drives every generated id, so a run can be repeated exactly.
	Seed int64
	// Names name the settings in messages (the flags unless set).
	Names Inputs
	// Claim is what the run claims (--profile); nil claims every operation, not strictly.
	Claim *Claim
}

// CatalogueConfig builds every case the suites have, whatever the user configured, with fixed
// ids and seed: the catalogue docs/requirements.md lists, which changes only when the cases do,
// and the case ids an expectations file may name.
var CatalogueConfig = Config{
	ContactID:        "00000000-0000-4000-8000-00000000c0de",
	ForeignContactID: "00000000-0000-4000-8000-0000000f0e16",
	HaveToken:        true,
	Seed:             1,
}

const malformedBody = `{"conformance-suite": "this body is deliberately not valid JSON"`

// Skip reasons name the setting that would let the case run: the flag and the environment
// variable, or the name Names gives it.
func (cfg Config) needToken() string {
	return "needs a token: set " + cmp.Or(cfg.Names.Token, "--token or CONFORMANCE_TOKEN")
}

func (cfg Config) needContact() string {
	return "needs a contact the token can see: set " + cmp.Or(cfg.Names.ContactID, "--contact-id or CONFORMANCE_CONTACT_ID")
}

func (cfg Config) needForeign() string {
	return "needs a contact of another company: set " + cmp.Or(cfg.Names.ForeignContactID, "--foreign-contact-id or CONFORMANCE_FOREIGN_CONTACT_ID")
}

// unsafeMethods are sent to every documented path to check the 405; they only ever target ids
// generated to be unknown, with a body no server can parse.
var unsafeMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Build derives every case from the document and the configuration. The order is stable: by
// area, then operation, then case.
func Build(c *spec.Contract, cfg Config) []*Case {
	ids := newIDSource(cfg.Seed)
	contactPath := contactPathOf(c, cfg)
	var cases []*Case
	for _, op := range c.Operations {
		if !strings.EqualFold(op.Method, http.MethodGet) {
			continue // the API documents reads only; other methods are the 405 cases' business
		}
		b := builder{contract: c, op: op, cfg: cfg, ids: ids, contactPath: contactPath}
		if op.Secured {
			cases = append(cases, b.authCases()...)
		}
		cases = append(cases, b.okCase())
		if op.Input == "contact" {
			cases = append(cases, b.knownUpperCaseCase())
		}
		for _, p := range op.Params {
			cases = append(cases, b.paramCases(p)...)
		}
		if op.Input == "contact" {
			cases = append(cases, b.configuredIDCases()...)
		}
		cases = append(cases, b.acceptCases()...)
		cases = append(cases, b.methodCases(c.PathMethods(op.Path))...)
	}
	return cases
}

// contactPathOf reads the configured contact, whose company the lists are compared with, or is
// empty when no contact id was given. The contact is read through the operation the document says
// takes it, not whichever operation happens to take an id.
func contactPathOf(c *spec.Contract, cfg Config) string {
	if op := configuredRead(c); op != nil && cfg.ContactID != "" {
		return builder{op: op}.path(cfg.ContactID)
	}
	return ""
}

// CaseIDs are the ids of every case the suite builds, whatever the configuration: a case that
// lacks an input is built too, and skipped.
func CaseIDs(c *spec.Contract) []string {
	cases := Build(c, Config{HaveToken: true, Seed: 1})
	ids := make([]string, len(cases))
	for i, cs := range cases {
		ids[i] = cs.ID
	}
	return ids
}

// idSource generates the unknown ids from the seed, in a fixed order.
type idSource struct{ rng *rand.Rand }

func newIDSource(seed int64) *idSource { return &idSource{rng: rand.New(rand.NewSource(seed))} }

func (s *idSource) next() string {
	id, err := uuid.NewRandomFromReader(s.rng)
	if err != nil {
		panic(err) // math/rand's Read never fails
	}
	return id.String()
}

type builder struct {
	contract *spec.Contract
	op       *spec.Operation
	cfg      Config
	ids      *idSource
	// contactPath reads the configured contact, whose company the lists are compared with;
	// empty when no contact id was given.
	contactPath string
}

// path fills the operation's id parameter with a raw value, escaped as one path segment.
func (b builder) path(id string) string {
	if b.op.IDParam == "" {
		return b.op.Path
	}
	return strings.Replace(b.op.Path, "{"+b.op.IDParam+"}", url.PathEscape(id), 1)
}

func (b builder) newCase(area, name string, expect int, title string, req Request, checks ...Check) *Case {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	return &Case{
		ID:        area + "/" + name + "/" + b.op.ID,
		Area:      area,
		Title:     title,
		Expect:    expect,
		Operation: b.op,
		Request:   req,
		Checks:    append(append(common(), checks...), b.tenantInvariants(req)...),
		Unclaimed: b.cfg.Claim.unclaimed(b.op),
		Strict:    b.cfg.Claim.StrictFor(b.op.ID),
	}
}

// tenantInvariants hold of every 2xx answer to the operation, whatever the case sent: the record
// is the one the path names, a list holds the token's company only. A server may leak only where
// a case expects no record at all, or only under credentials or headers spelled another way, so
// they are not the ok cases' alone.
func (b builder) tenantInvariants(req Request) []Check {
	if b.op.IDParam == "" {
		return []Check{expectOneCompany(b.contactPath)}
	}
	// An id that is no UUID names no record: answering it at all is ID-003's finding.
	id, ok := b.requestedID(req.Path)
	if !ok || !spec.IsUUID(id) {
		return nil
	}
	return []Check{expectRecordAskedFor(id)}
}

// requestedID is the id a path names, as the server reads it once unescaped.
func (b builder) requestedID(path string) (string, bool) {
	prefix, suffix, found := strings.Cut(b.op.Path, "{"+b.op.IDParam+"}")
	raw, hasPrefix := strings.CutPrefix(path, prefix)
	raw, hasSuffix := strings.CutSuffix(raw, suffix)
	if !found || !hasPrefix || !hasSuffix {
		return "", false
	}
	id, err := url.PathUnescape(raw)
	return id, err == nil
}

// readablePath returns a path for cases that must be answered whatever the id: the configured
// contact when there is one (GET only), an unknown id otherwise.
func (b builder) readablePath() string {
	if b.op.IDParam == "" {
		return b.op.Path
	}
	if b.cfg.ContactID != "" {
		return b.path(b.cfg.ContactID)
	}
	return b.path(b.ids.next())
}

// authRejections are the credentials a server must refuse. None reveals the token: the ones
// derived from it are spelled with the shell variable in every output.
var authRejections = []struct {
	name, title string
	auth        Auth
	needsToken  bool
}{
	{"missing-header", "no Authorization header", Auth{Omit: true}, false},
	{"empty-header", "an empty Authorization header", Auth{Template: ""}, false},
	{"empty-bearer", `the Bearer scheme with no token ("Bearer ")`, Auth{Template: "Bearer "}, false},
	{"scheme-only", `the scheme alone ("Bearer")`, Auth{Template: "Bearer"}, false},
	{"token-without-scheme", "the token without a scheme", Auth{Template: "{token}"}, true},
	{"basic-scheme", "the right token under the Basic scheme", Auth{Template: "Basic {token}"}, true},
	{"token-scheme", "the right token under the Token scheme", Auth{Template: "Token {token}"}, true},
	{"no-space", `the scheme glued to the token ("Bearer<token>")`, Auth{Template: "Bearer{token}"}, true},
	{"extra-field", "the token followed by a second field", Auth{Template: "Bearer {token} {token}"}, true},
	{"wrong-token-uuid", "a wrong token shaped like a UUID", Auth{Template: "Bearer 00000000-0000-4000-8000-000000000000"}, false},
	{"wrong-token-jwt", "a wrong token shaped like an unsigned JWT", Auth{Template: "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJjb25mb3JtYW5jZSJ9."}, false},
	{"wrong-token-long", "a wrong token of 512 characters", Auth{Template: "Bearer " + strings.Repeat("x", 512)}, false},
	{"token-plus-char", "the right token with one character appended", Auth{Template: "Bearer {token}x"}, true},
	{"token-minus-char", "the right token with its last character removed", Auth{Template: "Bearer {token-1}"}, true},
	// A comparison that stops short of the last character, or starts after the first, accepts
	// these; a token that already ends or starts with the x cannot be varied so, and is skipped.
	{"token-last-char-changed", "the right token with its last character replaced", Auth{Template: "Bearer {token-last-x}"}, true},
	{"token-first-char-changed", "the right token with its first character replaced", Auth{Template: "Bearer {token-first-x}"}, true},
	// A token compared case-insensitively (a _ci collation) accepts these; a token without
	// letters of the other case cannot be varied, and the engine skips the case.
	{"token-upper-case", "the right token in upper case", Auth{Template: "Bearer {token-upper}"}, true},
	{"token-lower-case", "the right token in lower case", Auth{Template: "Bearer {token-lower}"}, true},
}

// AuthSchemes are the authorization schemes the cases send (Bearer, Basic, Token): words the suite
// writes itself in titles, request views and reproduction commands, whatever the token.
func AuthSchemes() []string {
	templates := []string{Bearer.Template}
	for _, r := range authRejections {
		templates = append(templates, r.auth.Template)
	}
	var schemes []string
	for _, t := range templates {
		scheme, _, _ := strings.Cut(t, " ")
		scheme, _, _ = strings.Cut(scheme, "{")
		if scheme != "" && !slices.Contains(schemes, scheme) {
			schemes = append(schemes, scheme)
		}
	}
	return schemes
}

func (b builder) authCases() []*Case {
	var cases []*Case
	for _, r := range authRejections {
		c := b.newCase("auth", r.name, http.StatusUnauthorized, r.title+" is rejected with 401",
			Request{Path: b.readablePath(), Auth: r.auth},
			expectStatus(ReqAuthRejected, http.StatusUnauthorized), expectErrorEnvelope(), expectChallenge)
		if r.needsToken && !b.cfg.HaveToken {
			c.Skip = b.cfg.needToken()
		}
		cases = append(cases, c)
	}
	if b.op.IDParam != "" {
		// Credentials come first: a server that validates or looks up the id before the token
		// tells an anonymous caller which ids are well-formed or exist.
		for _, target := range []struct{ name, title, id string }{
			{"missing-header-unknown-id", "no Authorization header on an unknown id", b.ids.next()},
			{"missing-header-malformed-id", "no Authorization header on a malformed id", "not-a-uuid"},
		} {
			cases = append(cases, b.newCase("auth", target.name, http.StatusUnauthorized, target.title+" is rejected with 401",
				Request{Path: b.path(target.id), Auth: Auth{Omit: true}},
				expectStatus(ReqAuthRejected, http.StatusUnauthorized), expectErrorEnvelope(), expectChallenge))
		}
	}
	lower := b.newCase("auth", "lowercase-scheme", http.StatusOK, `the scheme in lower case ("bearer <token>") is accepted`,
		Request{Path: b.readablePath(), Auth: Auth{Template: "bearer {token}"}},
		b.acceptedChecks(ReqAuthSchemeCase)...)
	lower.Skip = b.needsReadable()
	return append(cases, lower)
}

// acceptedChecks require that valid credentials got through: whatever the id, the answer is not
// 401 (for a configured contact, it is the contact).
func (b builder) acceptedChecks(req *Requirement) []Check {
	return []Check{{Req: req, Verify: func(ex *Exchange) *Finding {
		if ex.Status == http.StatusOK {
			return nil
		}
		return &Finding{Expected: "200 OK: the credentials are valid", Actual: describeStatus(ex)}
	}}}
}

func (b builder) needsReadable() string {
	if !b.cfg.HaveToken {
		return b.cfg.needToken()
	}
	if b.op.IDParam != "" && b.cfg.ContactID == "" {
		return b.cfg.needContact()
	}
	return ""
}

func (b builder) okCase() *Case {
	c := b.newCase("ok", "known", http.StatusOK, "a valid request is answered 200 with the record(s) of the token's company",
		Request{Path: b.readablePath(), Auth: Bearer}, b.servedChecks()...)
	if b.op.IDParam == "" {
		c.Title = "the list is answered 200, every item valid against the schema"
		c.ID = "ok/list/" + b.op.ID
	}
	c.Skip = b.needsReadable()
	return c
}

// methodCases send the methods a path does not document. On a path with an id they target a
// generated unknown id; on a collection path DELETE is never sent, since a server that wrongly
// implemented it could empty a collection of real data, and the other methods carry a body no
// server can parse, so that nothing can be created.
func (b builder) methodCases(documented []string) []*Case {
	var cases []*Case
	for _, m := range unsafeMethods {
		if contains(documented, m) || (b.op.IDParam == "" && m == http.MethodDelete) {
			continue
		}
		path := b.op.Path
		if b.op.IDParam != "" {
			path = b.path(b.ids.next())
		}
		c := b.newCase("methods", strings.ToLower(m), http.StatusMethodNotAllowed, m+" on the path is answered 405 with an Allow header",
			Request{Method: m, Path: path, Auth: Bearer, Body: malformedBody, Unsafe: true},
			expectStatus(ReqMethod, http.StatusMethodNotAllowed), expectAllow, expectErrorEnvelope())
		if !b.cfg.HaveToken {
			c.Skip = b.cfg.needToken()
		}
		cases = append(cases, c)
	}
	return cases
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return spec.Shorten(string(b), valueBytes)
}
