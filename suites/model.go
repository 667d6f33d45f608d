// Package suites says what is checked: each case is a sentence of the contract (a stable id, what
// is sent, the requirements the answer must meet), derived from the OpenAPI document where it can
// be. It knows nothing of flags, files, terminals or reports: the runner binary and `go test` are
// two drivers of the same cases.
package suites

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/contacts-conformance/suite/spec"
)

// Level is how binding a requirement is (RFC 2119).
type Level string

const (
	// Must findings fail the run.
	Must Level = "MUST"
	// Should findings are warnings, and fail the run only in strict mode.
	Should Level = "SHOULD"
)

// Requirement is one sentence of the contract with a stable id.
type Requirement struct {
	ID     string `json:"id"`
	Level  Level  `json:"level"`
	Text   string `json:"requirement"`
	Anchor string `json:"anchor"`
}

// Case is one request and the requirements its answer must meet.
type Case struct {
	// ID is stable and hierarchical (area/what/operation), for selection with -run and --run.
	ID    string
	Area  string
	Title string
	// Operation is the documented operation the request exercises, and Validate the one its
	// answer is validated against (they differ for other methods on a documented path, whose
	// 405 answer is documented on the path's GET).
	Operation *spec.Operation
	Request   Request
	// Expect is the status a conformant server answers; the coverage test requires a case for
	// every status every operation documents.
	Expect int
	Checks []Check
	// Skip, when set, says which missing input keeps the case from running, naming the flag.
	Skip string
	// Unclaimed, when set, says that the case's operation is outside the profiles the run claims
	// (--profile): the case is reported as not claimed and nothing is sent.
	Unclaimed string
	// Strict says that the case's profile is claimed strictly: its SHOULD-level findings fail.
	Strict bool
	// Shrink, set on a generated case, makes it as small and plain as it can be while
	// stillFails says the smaller case fails the same way; it returns the smallest found.
	Shrink func(stillFails func(*Case) bool) *Case
}

// Requirements lists the requirements the case checks, each once, ordered by id.
func (c *Case) Requirements() []*Requirement {
	var reqs []*Requirement
	seen := map[*Requirement]bool{}
	for _, ch := range c.Checks {
		if !seen[ch.Req] {
			seen[ch.Req] = true
			reqs = append(reqs, ch.Req)
		}
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].ID < reqs[j].ID })
	return reqs
}

// Request is what a case sends. Nothing here is secret: the token is inserted by Auth at send
// time, and shown as $CONFORMANCE_TOKEN everywhere else.
type Request struct {
	Method string
	// Path is the escaped path below the base URL, e.g. /contact/6f1c...; it is sent as is.
	Path  string
	Query url.Values
	// RawQuery, when set, is sent instead of Query's encoding, as is: for a value whose spelling
	// on the wire is the point, such as percent-encoded digits.
	RawQuery string
	// Header sets request headers beside the defaults; an empty value sends no such header at
	// all (no Accept, say).
	Header map[string]string
	Auth   Auth
	// Body is sent with methods other than GET: a deliberately malformed JSON document, so that
	// a server that wrongly implements the method still cannot create or change anything.
	Body string
	// Unsafe marks a method that could change data; such a request only ever targets an id
	// generated to be unknown. The runner refuses any other.
	Unsafe bool
}

// Auth describes the Authorization header. Template "{token}" stands for the token, "{token-1}"
// for the token without its last character, "{token-last-x}" and "{token-first-x}" for the token
// with its last or first character replaced by an x, "{token-upper}" and "{token-lower}" for the
// token in one case; Omit sends no header at all.
type Auth struct {
	Omit     bool
	Template string
}

// Bearer is the correct credential.
var Bearer = Auth{Template: "Bearer {token}"}

// TokenShell is how reproduction commands spell the token: a shell variable, never its value.
const TokenShell = "${CONFORMANCE_TOKEN}"

// Header renders the header with the real token; ok is false when no header is sent.
func (a Auth) Header(token string) (value string, ok bool) {
	if a.Omit {
		return "", false
	}
	cut, rest := token, token
	if len(token) > 0 {
		cut, rest = token[:len(token)-1], token[1:]
	}
	return strings.NewReplacer("{token}", token, "{token-1}", cut, "{token-last-x}", cut+"x", "{token-first-x}", "x"+rest,
		"{token-upper}", strings.ToUpper(token), "{token-lower}", strings.ToLower(token)).Replace(a.Template), true
}

// Display renders the header for output, the token spelled as a shell expansion so a printed
// reproduction never carries it and still sends the same bytes.
func (a Auth) Display() (value string, ok bool) {
	if a.Omit {
		return "", false
	}
	// The case conversions are bash's (4.0 and later); the rest is POSIX sh.
	return strings.NewReplacer("{token}", TokenShell, "{token-1}", "${CONFORMANCE_TOKEN%?}",
		"{token-last-x}", "${CONFORMANCE_TOKEN%?}x", "{token-first-x}", "x${CONFORMANCE_TOKEN#?}",
		"{token-upper}", "${CONFORMANCE_TOKEN^^}", "{token-lower}", "${CONFORMANCE_TOKEN,,}").Replace(a.Template), true
}

// UsesToken reports whether the header carries the token (or something derived from it).
func (a Auth) UsesToken() bool { return strings.Contains(a.Template, "{token") }

// Exchange is one request and its answer, as the checks see it.
type Exchange struct {
	Contract *spec.Contract
	Case     *Case
	Request  *http.Request
	Status   int
	Header   http.Header
	Body     []byte
	// Violations are the document's verdict on the answer, computed once per exchange.
	Violations []spec.Violation
	// Probe sends a GET with the valid credentials, for a check that compares this answer with
	// another; the driver shares each answer among all the cases of a run. Nil when there is
	// no server to ask, and then such a check has nothing to compare.
	Probe func(path string, query url.Values) (*Probed, error)
	// Fresh sends such a GET afresh, never from the shared answers: for a comparison whose
	// answers must be close in time. Nil when there is no server to ask.
	Fresh func(path string) (*Probed, error)
	// Notes are facts a check puts in the report without a finding, such as a check that had
	// nothing to bite on.
	Notes    []string
	json     any
	jsonErr  error
	repeated *spec.RepeatedName
	decoded  bool
}

// Probed is the answer to a probe.
type Probed struct {
	Status int
	// Body is the decoded JSON body, nil when it is not JSON.
	Body any
}

// JSON returns the decoded body, decoding it once.
func (ex *Exchange) JSON() (any, error) {
	if !ex.decoded {
		ex.json, ex.repeated, ex.jsonErr = spec.DecodeJSONNames(ex.Body)
		ex.decoded = true
	}
	return ex.json, ex.jsonErr
}

// RepeatedName is the first name an object of the body gives twice, or nil.
func (ex *Exchange) RepeatedName() *spec.RepeatedName {
	_, _ = ex.JSON()
	return ex.repeated
}

// Check verifies one requirement on an exchange; a nil finding means it is met.
type Check struct {
	Req    *Requirement
	Verify func(ex *Exchange) *Finding
}

// Finding says how a requirement was not met, in words a user can act on without reading code.
type Finding struct {
	Requirement *Requirement `json:"-"`
	Expected    string       `json:"expected"`
	Actual      string       `json:"actual"`
	// Details lists individual violations, such as each schema error with its JSON pointer.
	Details []string `json:"details,omitempty"`
}
