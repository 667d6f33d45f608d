package suites

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/contacts-conformance/suite/spec"
)

// paramCases are the cases of one parameter: a case for each value derived from its schema, the
// rest of the request valid. What a value must get follows from where the parameter is and what the
// document makes of the value.
func (b builder) paramCases(p *spec.Param) []*Case {
	var cases []*Case
	for _, v := range deriveValues(b.contract, p, b.ids) {
		var c *Case
		if p.In == openapi3.ParameterInPath {
			c = b.pathValueCase(p, v)
		} else {
			c = b.queryValueCase(p, v)
		}
		if !b.cfg.HaveToken {
			c.Skip = b.cfg.needToken()
		}
		cases = append(cases, c)
	}
	return cases
}

// pathWith fills the path parameter with a raw value, escaped as one path segment; the operation's
// other path parameters, were there any, get the same.
func (b builder) pathWith(value string) string {
	path := b.op.Path
	for _, p := range b.op.Params {
		if p.In == openapi3.ParameterInPath {
			path = strings.Replace(path, "{"+p.Name+"}", url.PathEscape(value), 1)
		}
	}
	return path
}

// pathValueCase: a path parameter is an id. A valid one matches nothing and is answered 404; one
// that is not valid is a client error, 400 (404 tolerated, since a front end may answer for the
// path); an open one either.
func (b builder) pathValueCase(p *spec.Param, v Value) *Case {
	req := Request{Path: b.pathWith(v.Raw[0]), Auth: Bearer}
	switch v.Validity {
	case Valid:
		return b.newCase("unknown-id", v.Class, http.StatusNotFound, v.Title+" is answered 404", req,
			expectStatus(ReqUnknownID, http.StatusNotFound), expectErrorEnvelope(), expectNoServerError)
	case Open:
		return b.newCase("unknown-id", v.Class, http.StatusNotFound, fmt.Sprintf("%s is answered 404 or 400 (%s)", v.Title, v.Why), req,
			expectStatus(ReqOpenInput, http.StatusNotFound, http.StatusBadRequest), expectErrorEnvelope(), expectNoServerError)
	}
	checks := []Check{expectStatus(ReqMalformedIDSafe, http.StatusBadRequest, http.StatusNotFound), expectErrorEnvelope(), expectNoServerError}
	if !strings.Contains(v.Raw[0], "/") {
		checks = append(checks, expectStatus(ReqMalformedID400, http.StatusBadRequest))
	}
	return frontEndMay404(v.Raw[0], b.newCase("malformed-id", v.Class, http.StatusBadRequest, v.Title+" is rejected with 400 (404 tolerated), never 2xx or 5xx", req, checks...))
}

// frontEndMay404 lets a front end answer a path holding an escaped slash: it never reaches the
// application behind many of them (Apache's AllowEncodedSlashes Off answers 404 itself, with its
// own page), so a 404 of any shape is as good as 400 there, and only the status is judged.
func frontEndMay404(value string, c *Case) *Case {
	if !strings.Contains(value, "/") {
		return c
	}
	for i, check := range c.Checks {
		if check.Req == ReqMalformedIDSafe {
			continue
		}
		c.Checks[i] = unlessStatus(http.StatusNotFound, check)
	}
	return c
}

// unlessStatus applies the check to every answer but one with the status.
func unlessStatus(status int, c Check) Check {
	return Check{Req: c.Req, Verify: func(ex *Exchange) *Finding {
		if ex.Status == status {
			return nil
		}
		return c.Verify(ex)
	}}
}

// queryValueCase: a valid value is answered 200 and honoured (a list bounded by it holds no more
// items); one that is not valid is answered 400; an open one either, each as documented.
func (b builder) queryValueCase(p *spec.Param, v Value) *Case {
	req := Request{Path: b.readablePath(), Query: b.validQuery(p), Auth: Bearer}
	req.Query[p.Name] = v.Raw
	if v.Wire != "" {
		delete(req.Query, p.Name)
		req.RawQuery = joinQuery(req.Query.Encode(), p.Name+"="+v.Wire)
	}
	area := "list"
	if b.op.IDParam != "" {
		area = "params"
	}
	title := strings.ReplaceAll(v.Title, "{name}", p.Name)
	served := b.servedChecks()
	bounded := ""
	if n, ok := limitOf(v); ok && p.MaxItems {
		served = append(served, expectAtMost(n, b.op.Path))
		bounded = fmt.Sprintf(" with at most %d items", n)
	}
	switch v.Validity {
	case Valid:
		if bounded != "" {
			title += " gives at most" + strings.TrimPrefix(bounded, " with at most")
		} else {
			title += " is answered 200"
		}
		return b.newCase(area, p.Name+"-"+v.Class, http.StatusOK, title, req, append(served, expectNoServerError)...)
	case Open:
		checks := []Check{expectStatus(ReqOpenInput, http.StatusOK, http.StatusBadRequest), onStatus(http.StatusBadRequest, expectErrorEnvelope()), expectNoServerError}
		for _, c := range served {
			checks = append(checks, onStatus(http.StatusOK, c))
		}
		title = fmt.Sprintf("%s is answered 200%s or 400 (%s)", title, bounded, v.Why)
		return b.newCase(area, p.Name+"-"+v.Class, http.StatusOK, title, req, checks...)
	}
	return b.newCase(area, p.Name+"-"+v.Class, http.StatusBadRequest, title+" is answered 400", req,
		expectStatus(ReqLimitInvalid, http.StatusBadRequest), expectErrorEnvelope(), expectNoServerError)
}

func joinQuery(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "&")
}

// validQuery gives every other required query parameter a valid value, so that a case varies one
// parameter only.
func (b builder) validQuery(except *spec.Param) url.Values {
	q := url.Values{}
	for _, p := range b.op.Params {
		if p == except || p.In != openapi3.ParameterInQuery || !p.Required {
			continue
		}
		for _, v := range deriveValues(b.contract, p, newIDSource(0)) {
			if v.Validity == Valid && v.Wire == "" {
				q[p.Name] = v.Raw
				break
			}
		}
	}
	return q
}

// servedChecks are what a request answered 200 must show: the envelope and the records'
// timestamps in order. Which records they are (the one asked for, the token's company's) every
// case of the operation checks, whatever it expects (tenantInvariants).
func (b builder) servedChecks() []Check {
	return []Check{expectOKEnvelope, expectTimeOrder}
}

// sqlSuffix turns the known contact's id into one a server that reads a leading UUID and ignores
// the rest answers 200.
const sqlSuffix = "' OR '1'='1"

// configuredIDCases are the cases built from the ids the user configures: another company's contact
// answered like an unknown one, and the known contact's id made malformed.
func (b builder) configuredIDCases() []*Case {
	unknown := []string{b.ids.next(), b.ids.next()}
	foreign := b.foreignCase("foreign", "a contact of another company is answered 404", b.cfg.ForeignContactID, unknown)
	// The contract compares ids case-insensitively: a server that looks the tenant up on the id
	// as written and the record on the id as parsed serves another company's contact to its
	// upper-case spelling. The unknown ids it is compared with are spelled the same way.
	upperUnknown := []string{strings.ToUpper(unknown[0]), strings.ToUpper(unknown[1])}
	foreignUpper := b.foreignCase("foreign-upper-case", "a contact of another company, its id in upper case, is answered 404",
		strings.ToUpper(b.cfg.ForeignContactID), upperUnknown)
	// A second authentication path (the scheme matched in lower case by other code) may set no
	// tenant, which only a request for another company's record shows.
	foreignLower := b.foreignCase("foreign-lowercase-scheme", `a contact of another company, asked with the scheme in lower case ("bearer <token>"), is answered 404`,
		b.cfg.ForeignContactID, nil)
	foreignLower.Request.Auth = Auth{Template: "bearer {token}"}
	suffixed := b.newCase("malformed-id", "known-id-sql-suffix", http.StatusBadRequest,
		"the known contact's id with an SQL-injection suffix is rejected with 400 (404 tolerated), never 2xx or 5xx",
		Request{Path: b.pathWith(b.cfg.ContactID + sqlSuffix), Auth: Bearer},
		expectStatus(ReqMalformedIDSafe, http.StatusBadRequest, http.StatusNotFound), expectErrorEnvelope(), expectStatus(ReqMalformedID400, http.StatusBadRequest), expectNoServerError)
	if !b.cfg.HaveToken {
		suffixed.Skip = b.cfg.needToken()
	}
	if b.cfg.ContactID == "" {
		// Built all the same, so that --list and a run count the same cases and a report shows
		// the check that did not run.
		suffixed.Request.Path = b.pathWith(sqlSuffix)
		suffixed.Skip = b.cfg.needContact()
	}
	return []*Case{foreign, foreignUpper, foreignLower, suffixed}
}

// foreignCase asks for another company's contact by the id given: 404 with the error envelope, and
// when unknown ids are given (spelled as the id is), the answer they get.
func (b builder) foreignCase(name, title, id string, unknown []string) *Case {
	checks := []Check{expectStatus(ReqForeignID, http.StatusNotFound), expectErrorEnvelope()}
	if len(unknown) == 2 {
		checks = append(checks, expectSameAsUnknown([2]string{b.pathWith(unknown[0]), b.pathWith(unknown[1])}))
	}
	c := b.newCase("unknown-id", name, http.StatusNotFound, title, Request{Path: b.pathWith(id), Auth: Bearer}, checks...)
	if !b.cfg.HaveToken {
		c.Skip = b.cfg.needToken()
	}
	if b.cfg.ForeignContactID == "" {
		c.Request.Path = b.op.Path
		c.Skip = b.cfg.needForeign()
	}
	return c
}

// knownUpperCaseCase asks for the configured contact by its id in upper case. The contract makes
// it the same id, so the answer is the same record; 404 is tolerated, since a server storing ids
// as text finds nothing under the other spelling, and failing it would cost more than it finds.
// Never another record (tenantInvariants), never a 5xx.
func (b builder) knownUpperCaseCase() *Case {
	checks := []Check{expectStatus(ReqOK, http.StatusOK, http.StatusNotFound), expectNoServerError, onStatus(http.StatusNotFound, expectErrorEnvelope())}
	for _, c := range b.servedChecks() {
		checks = append(checks, onStatus(http.StatusOK, c))
	}
	c := b.newCase("ok", "known-upper-case", http.StatusOK,
		"the known contact's id in upper case is answered 200 with the same contact (404 tolerated: ids kept as text)",
		Request{Path: b.pathWith(strings.ToUpper(b.cfg.ContactID)), Auth: Bearer}, checks...)
	c.Skip = b.needsReadable()
	if b.cfg.ContactID == "" {
		c.Request.Path = b.op.Path
	}
	return c
}

// acceptVariants are the Accept headers a client may send; "" sends none.
var acceptVariants = []struct {
	name, title, accept string
	admitsJSON          bool
}{
	{"any", `"Accept: */*"`, "*/*", true},
	{"application-wildcard", `"Accept: application/*"`, "application/*", true},
	{"q-values", `"Accept: text/html;q=0.9, application/json;q=0.8"`, "text/html;q=0.9, application/json;q=0.8", true},
	{"none", "no Accept header", "", true},
	{"html-only", `"Accept: text/html" alone`, "text/html", false},
}

// acceptCases send the valid request with each Accept header: JSON comes back whatever it says, or
// a 406 with the error envelope when it admits no JSON; never a page of another media type.
func (b builder) acceptCases() []*Case {
	var cases []*Case
	for _, v := range acceptVariants {
		expect, title := http.StatusOK, v.title+" is answered in JSON, as without it"
		checks := []Check{expectAcceptAnswer(v.admitsJSON), expectNoServerError}
		// The answer is the one without the header: its envelope says so; what the record holds
		// is the ok case's business, judged once rather than once per Accept header.
		served := []Check{expectOKEnvelope}
		if !v.admitsJSON {
			expect, title = http.StatusNotAcceptable, v.title+" is answered 406 with the error envelope, or in JSON as without it"
			checks = append(checks, onStatus(http.StatusNotAcceptable, expectErrorEnvelope()))
			for i, c := range served {
				served[i] = onStatus(http.StatusOK, c)
			}
		}
		c := b.newCase("accept", v.name, expect, title,
			Request{Path: b.readablePath(), Auth: Bearer, Header: map[string]string{"Accept": v.accept}}, append(checks, served...)...)
		c.Skip = b.needsReadable()
		cases = append(cases, c)
	}
	return cases
}
