package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// The preflight is the run's first step, in both drivers: a few reads that establish what the cases
// rely on. A failed one means the run was not set up right (a wrong base URL, a rotated token, ids
// mixed up); the run then ends incomplete, and no case is judged, so that a configuration mistake
// is never reported as a broken server.

// Fact outcomes.
const (
	FactOK     = "ok"
	FactFailed = "failed"
	// FactNoted is a fact the preflight cannot vouch for either way, such as a read answered 500:
	// the cases judge it.
	FactNoted = "noted"
)

// PreflightFact is one thing the preflight established, or failed to.
type PreflightFact struct {
	// Check is what the fact is about: base-url, token, contact-id or foreign-contact-id.
	Check   string `json:"check"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

// Preflight is what the preflight found.
type Preflight struct {
	Facts []PreflightFact `json:"facts"`
	// Failure is the one-line reason the run cannot be judged; empty when the preflight passed.
	Failure string `json:"failure,omitempty"`
}

// Failed reports whether the preflight found the run cannot be judged.
func (p *Preflight) Failed() bool { return p != nil && p.Failure != "" }

// CheckRun is the check of a run that stopped before its preflight could start (a token command
// that failed): reports then say the run could not be made, not that the preflight failed.
const CheckRun = "run"

// NeverStarted reports whether the run stopped before the preflight sent anything.
func (p *Preflight) NeverStarted() bool {
	return p.Failed() && len(p.Facts) == 1 && p.Facts[0].Check == CheckRun
}

func (p *Preflight) note(check, outcome, format string, args ...any) {
	p.Facts = append(p.Facts, PreflightFact{Check: check, Outcome: outcome, Detail: fmt.Sprintf(format, args...)})
}

// fail records the failed fact; its detail is the run's reason.
func (p *Preflight) fail(check, format string, args ...any) *Preflight {
	p.note(check, FactFailed, format, args...)
	p.Failure = p.Facts[len(p.Facts)-1].Detail
	return p
}

// RefusedPreflight is the preflight of a run whose configuration is found wrong before anything
// is sent, such as a configured id that is not a UUID: it has the one failed fact.
func RefusedPreflight(check, reason string) *Preflight {
	return (&Preflight{}).fail(check, "%s", reason)
}

// preflightAnswer is one read's answer.
type preflightAnswer struct {
	read suites.Read
	ex   *suites.Exchange
	err  error
	body any
	// malformed is why the body is not valid JSON when its start is an envelope all the same (a
	// byte-order mark before it, bytes after it): the API is there, and the cases judge the body.
	malformed error
}

func (a *preflightAnswer) line() string {
	return fmt.Sprintf("GET %s", a.read.Request.Path)
}

func (a *preflightAnswer) refused() bool {
	return a.ex != nil && (a.ex.Status == http.StatusUnauthorized || a.ex.Status == http.StatusForbidden)
}

// Preflight sends the reads and judges their answers. The read without credentials goes alone and
// first, so that the token is never sent to a base URL that plainly does not serve the API; the
// others go together. Every answer is kept for the case that sends the same request.
func (e *Engine) Preflight(ctx context.Context, reads []suites.Read) *Preflight {
	ctx, cancel := e.withinDeadline(ctx)
	defer cancel()
	p := &Preflight{}
	if len(reads) == 0 {
		p.note("base-url", FactNoted, "the document has no read to check the base URL with")
		return p
	}
	var anonymous *preflightAnswer
	if reads[0].Role == suites.ReadAnonymous {
		anonymous = e.preflightRead(ctx, reads[0])
		if e.judgeAnonymous(p, anonymous) {
			return p
		}
		reads = reads[1:]
	}
	answers := make([]*preflightAnswer, len(reads))
	var wg sync.WaitGroup
	slots := make(chan struct{}, e.opts.Concurrency)
	for i, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			answers[i] = e.preflightRead(ctx, read)
		}()
	}
	wg.Wait()
	if e.judgeServed(p, answers) {
		return p
	}
	authed := byRole(answers, suites.ReadCollection, suites.ReadContact, suites.ReadForeign, suites.ReadUnknown)
	failed, accepted := e.judgeToken(ctx, p, authed)
	if failed {
		return p
	}
	e.judgeContacts(ctx, p, byRole(answers, suites.ReadContact), byRole(answers, suites.ReadForeign), listsCompany(byRole(answers, suites.ReadCollection)), accepted)
	return p
}

func byRole(answers []*preflightAnswer, roles ...suites.ReadRole) []*preflightAnswer {
	var out []*preflightAnswer
	for _, a := range answers {
		for _, r := range roles {
			if a.read.Role == r {
				out = append(out, a)
			}
		}
	}
	return out
}

// preflightRead sends one read through the path every case's request takes (rate limit, 429
// retries, token renewal) and keeps the answer for the case that sends the same request.
func (e *Engine) preflightRead(ctx context.Context, read suites.Read) *preflightAnswer {
	a := &preflightAnswer{read: read}
	c := read.Case()
	a.ex, a.err = e.exchange(ctx, c, &Result{})
	if a.err != nil {
		return a
	}
	if body, err := a.ex.JSON(); err == nil {
		a.body = body
	} else if lead, ok := leadingJSON(a.ex.Body); ok {
		a.body, a.malformed = lead, err
	}
	e.keep(c, a.ex)
	return a
}

// leadingJSON decodes the first JSON value of a body that is not valid JSON as a whole, after a
// byte-order mark if one starts it: a server whose every answer is an envelope followed by stray
// bytes serves this API badly, which the cases report, rather than not at all.
func leadingJSON(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, spec.ByteOrderMark)))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v) == nil
}

// plainHTTPToTLS are what common servers and proxies answer a plain HTTP request on a TLS port
// with (Go, nginx, Apache httpd, and the generic phrase), in lower case.
var plainHTTPToTLS = []string{
	"client sent an http request to an https server",
	"plain http request was sent to https port",
	"speaking plain http to an ssl-enabled server port",
	"this combination of host and port requires tls",
	"http request to an https server",
}

func (a *preflightAnswer) speaksTLS() bool {
	body := strings.ToLower(string(a.ex.Body))
	for _, s := range plainHTTPToTLS {
		if strings.Contains(body, s) {
			return true
		}
	}
	return false
}

func (a *preflightAnswer) html() bool {
	if mt, _, err := mime.ParseMediaType(a.ex.Header.Get("Content-Type")); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	start := strings.ToLower(strings.TrimSpace(string(a.ex.Body[:min(len(a.ex.Body), 512)])))
	return strings.HasPrefix(start, "<!doctype html") || strings.HasPrefix(start, "<html")
}

// elsewhere is where a redirect sends the read when that is another scheme or host than the base
// URL's, or "": the token must not follow it there.
func (e *Engine) elsewhere(a *preflightAnswer) string {
	if a.ex.Status/100 != 3 {
		return ""
	}
	loc, err := a.ex.Request.URL.Parse(a.ex.Header.Get("Location"))
	if err != nil || loc.Scheme == e.base.Scheme && strings.EqualFold(loc.Host, e.base.Host) {
		return ""
	}
	return e.redactor.String(spec.Shorten(loc.Redacted(), 200))
}

// notServed reports a 404 on a read whose operation does not document 404: the path is not there.
func (a *preflightAnswer) notServed() bool {
	return a.ex.Status == http.StatusNotFound && !a.read.Operation.Documents(http.StatusNotFound)
}

// describe is the answer in a few words for a message: status, content type, the body's start.
func (e *Engine) describe(a *preflightAnswer) string {
	s := fmt.Sprintf("%d %s", a.ex.Status, http.StatusText(a.ex.Status))
	if ct := a.ex.Header.Get("Content-Type"); ct != "" {
		s += ", " + e.redactor.String(ct)
	}
	preview, cut := e.redactor.Cut([]byte(strings.Join(strings.Fields(string(a.ex.Body)), " ")), 60)
	if cut {
		preview += "..."
	}
	if preview == "" {
		return s + ", empty body"
	}
	return s + fmt.Sprintf(" %q", oneLine(preview))
}

// judgeAnonymous fails the preflight when the read without credentials shows that the base URL
// plainly does not serve the API; it reports whether it failed. A 401 of any shape is plausibly
// the API's own refusal, and so is anything short of a clear sign: the credentialed reads decide.
func (e *Engine) judgeAnonymous(p *Preflight, a *preflightAnswer) bool {
	const aside = " (the token was not sent)"
	var down unavailableError
	switch {
	case errors.As(a.err, &down):
		p.fail("base-url", "%s is unavailable: %s was answered %s; try again later%s", e.baseText(), a.line(), e.redactor.String(down.answer()), aside)
	case errors.As(a.err, new(unusableAnswer)):
		p.fail("base-url", "%s answered %s with nothing the suite can judge: %s%s", e.baseText(), a.line(), e.transportError(a), aside)
	case a.err != nil:
		p.fail("base-url", "cannot reach %s: %s%s", e.baseText(), e.transportError(a), aside)
	case a.speaksTLS():
		p.fail("base-url", "%s was answered %s: the port expects TLS; use https://%s", a.line(), e.describe(a), aside)
	case e.elsewhere(a) != "":
		p.fail("base-url", "%s was answered %d %s, a redirect to %s: the API is not at the base URL; give the one the redirect names%s",
			a.line(), a.ex.Status, http.StatusText(a.ex.Status), e.elsewhere(a), aside)
	case a.ex.Status == http.StatusUnauthorized || a.ex.Status/100 == 3:
		// The API's own refusal, in whatever shape, or its own redirect to a login page: the
		// credentialed reads decide.
		return false
	case a.html() || a.notServed():
		// A secured collection answered 404 to an anonymous caller is, far more often than an
		// API that hides itself that way (which AUTH-001 forbids), a wrong path prefix: the run
		// ends before the token goes to a path that is not there.
		p.fail("base-url", "%s does not serve this API: %s was answered %s: %s%s", e.baseText(), a.line(), e.describe(a), e.likelyCause([]*preflightAnswer{a}), aside)
	default:
		return false
	}
	return true
}

func (e *Engine) baseText() string { return e.redactor.String(e.base.Redacted()) }

func (e *Engine) transportError(a *preflightAnswer) string {
	msg := e.redactor.String(a.err.Error())
	if e.base.Scheme == "http" && (strings.Contains(msg, "closed the connection") || strings.Contains(msg, "reset the connection")) {
		msg += "; if that port serves TLS, use https://"
	}
	return msg
}

// judgeServed fails the preflight when a credentialed read got no answer, or when the answers show
// that the base URL does not serve this API; it reports whether it failed.
func (e *Engine) judgeServed(p *Preflight, answers []*preflightAnswer) bool {
	var failed []*preflightAnswer
	for _, a := range answers {
		if a.err != nil {
			failed = append(failed, a)
		}
	}
	downs := 0
	for _, a := range failed {
		var down unavailableError
		if errors.As(a.err, &down) {
			downs++
			if downs == len(answers) {
				p.fail("base-url", "%s is unavailable: %s was answered %s; try again later", e.baseText(), a.line(), e.redactor.String(down.answer()))
				return true
			}
		}
	}
	for _, a := range failed {
		if errors.As(a.err, new(tokenExpiredError)) {
			p.fail("token", "the token stopped being accepted during the preflight: %s was refused after another read had accepted it; it expired (use %s to renew it)", a.line(), e.opts.TokenRenewal)
			return true
		}
	}
	switch {
	case len(failed) > 0 && errors.As(failed[0].err, new(unusableAnswer)):
		p.fail("base-url", "%s answered %s with nothing the suite can judge: %s", e.baseText(), failed[0].line(), e.transportError(failed[0]))
		return true
	case len(failed) == len(answers) && len(failed) > 0:
		p.fail("base-url", "cannot reach %s: %s", e.baseText(), e.transportError(failed[0]))
		return true
	case len(failed) > 0:
		p.fail("base-url", "the preflight's %s got no answer: %s", failed[0].line(), e.transportError(failed[0]))
		return true
	case len(answers) == 0:
		return false
	}
	for _, a := range answers {
		if a.speaksTLS() {
			p.fail("base-url", "%s was answered %s: the port expects TLS; use https://", a.line(), e.describe(a))
			return true
		}
	}
	if served := servedBy(answers); served != nil {
		if served.malformed != nil {
			p.note("base-url", FactOK, "%s serves this API: %s answers with the contract's JSON envelope, in a body that is not valid JSON (%s); the cases judge it",
				e.baseText(), served.line(), e.redactor.String(served.malformed.Error()))
			return false
		}
		p.note("base-url", FactOK, "%s serves this API: %s answers with the contract's JSON envelope", e.baseText(), served.line())
		return false
	}
	first := answers[0]
	p.fail("base-url", "%s does not serve this API: %s was answered %s: %s", e.baseText(), first.line(), e.describe(first), e.likelyCause(answers))
	return true
}

// servedBy is the first answer that shows the API is served at the base URL: the contract's
// envelope on a path the document has. Nil when none does, and when every collection's path is
// not there (a 404 its operation does not document), whatever the contacts' reads say: a wrong
// path prefix answers an id's read 404 too. For the same reason, when no collection was read (the
// claim holds none), only a record answered 200 shows the API: an unknown id and a missing path are
// both 404, in whatever words, and a 401 without credentials shows nothing either, since an API
// gateway asks for credentials on every path, and on the API's paths at a wrong prefix too.
func servedBy(answers []*preflightAnswer) *preflightAnswer {
	collections := byRole(answers, suites.ReadCollection)
	missing := 0
	for _, a := range collections {
		if a.notServed() {
			missing++
		}
	}
	if len(collections) > 0 && missing == len(collections) {
		return nil
	}
	if len(collections) == 0 && !slices.ContainsFunc(answers, func(a *preflightAnswer) bool { return a.ex.Status == http.StatusOK }) {
		return nil
	}
	for _, a := range answers {
		if suites.IsEnvelope(a.body) && !a.notServed() {
			return a
		}
	}
	return nil
}

func (e *Engine) likelyCause(answers []*preflightAnswer) string {
	for _, a := range answers {
		if a.html() {
			return "an HTML page, so the base URL points at a web site or a front end rather than at the API; check its host and path prefix"
		}
	}
	for _, a := range answers {
		if a.notServed() {
			return "the path is not there: the base URL's path prefix is probably missing, extra or doubled (the base URL ends where the API's paths begin, as in https://staging.example.com/v1), " +
				"or the server does not implement " + a.read.Operation.ID + " (then claim only the profiles it does, with --profile)"
		}
	}
	if slices.ContainsFunc(answers, func(a *preflightAnswer) bool { return suites.IsEnvelope(a.body) }) {
		cause := "with no collection claimed, only a contact answered 200 shows the API is there (an unknown id and a path that is not there are both answered 404, and a gateway may ask for credentials on every path): "
		if contact := byRole(answers, suites.ReadContact); len(contact) > 0 {
			return cause + contact[0].read.Input + " is no contact the token can read, or the base URL's path prefix is missing, extra or doubled"
		}
		if unknown := byRole(answers, suites.ReadUnknown); len(unknown) > 0 {
			return cause + "give " + unknown[0].read.Input + " (a contact the token can read), or check the base URL's path prefix"
		}
		return cause + "check the base URL's path prefix"
	}
	return "that is not the contract's JSON envelope; check that the base URL points at the Contacts API"
}

// judgeToken fails the preflight when every credentialed read was refused. A server that refuses
// "Bearer <token>" may still take "bearer <token>": the token is then valid, and the cases judge
// the server's handling of the scheme. accepted is the read that shows the token got through as
// "Bearer <token>", the credential every case sends: a 2xx first, then an answer on a path that is
// there (a 404 of an id may come before the credentials are looked at); a path that is not there
// says little of the token, and comes last.
func (e *Engine) judgeToken(ctx context.Context, p *Preflight, authed []*preflightAnswer) (failed bool, accepted *preflightAnswer) {
	rank := func(a *preflightAnswer) int {
		switch {
		case a.refused():
			return -1
		case a.ex.Status/100 == 2:
			return 2
		case !a.notServed():
			return 1
		}
		return 0
	}
	best := -1
	for _, a := range authed {
		if r := rank(a); r > best {
			best, accepted = r, a
		}
	}
	if accepted != nil {
		p.note("token", FactOK, "the token is accepted: %s was answered %d %s", accepted.line(), accepted.ex.Status, http.StatusText(accepted.ex.Status))
		return false, accepted
	}
	if len(authed) == 0 {
		p.note("token", FactNoted, "the document has no read to check the token with")
		return false, nil
	}
	first := authed[0]
	lower := first.read
	lower.Request.Auth = suites.Auth{Template: "bearer {token}"}
	retry := e.preflightRead(ctx, lower)
	if retry.err == nil && !retry.refused() {
		p.note("token", FactNoted, `the token is accepted as "bearer <token>" on %s (%d), but refused as "Bearer <token>" (%d): the cases judge the server's handling of the scheme`,
			first.line(), retry.ex.Status, first.ex.Status)
		return false, nil
	}
	p.fail("token", "the server refused the token (%d) on %s: it is wrong, expired, or for another environment", first.ex.Status, first.line())
	return true, nil
}

// listsCompany is the company every list of the preflight holds records of, or "" when a list's
// records disagree, carry none, or the lists disagree with each other.
func listsCompany(collections []*preflightAnswer) string {
	shared := ""
	for _, a := range collections {
		if a.ex.Status != http.StatusOK {
			continue
		}
		company := suites.CompanyOf(a.body)
		switch {
		case !spec.IsUUID(company):
		case shared == "":
			shared = company
		case !suites.SameID(shared, company):
			return ""
		}
	}
	return shared
}

// judgeContacts checks that the configured contact is readable and of the token's company, and that
// the foreign one is not of the token's company. The token's company is the configured contact's,
// or, without one, the one every list holds records of. A foreign contact answered with another
// company's data is no configuration mistake but a leak: the cases report it.
func (e *Engine) judgeContacts(ctx context.Context, p *Preflight, contact, foreign []*preflightAnswer, listed string, accepted *preflightAnswer) {
	// company is the token's company, as companyOf says it was learnt and whose names it.
	company, companyOf, whose := listed, "the company of every record the lists hold", "the lists'"
	foreignStatus := 0
	if len(foreign) > 0 {
		foreignStatus = foreign[0].ex.Status
	}
	if len(contact) > 0 {
		a := contact[0]
		switch a.ex.Status {
		case http.StatusOK:
			own := suites.CompanyOf(a.body)
			if !spec.IsUUID(own) {
				own = "" // not a company id to compare with: SPEC-001 judges it
			}
			if own != "" && listed != "" && !suites.SameID(own, listed) {
				p.fail("contact-id", "%s %s is of company %s, but every record the lists hold is of company %s: give a contact of the token's company (if it is one, the lists are another company's)",
					a.read.Input, a.read.ID, own, listed)
				return
			}
			if own != "" {
				company, companyOf, whose = own, "the company of "+a.read.Input, a.read.Input+"'s"
			}
			detail := fmt.Sprintf("%s %s is readable: %s was answered 200 OK", a.read.Input, a.read.ID, a.line())
			if own != "" {
				detail += ", company " + own
			}
			if id := suites.RecordID(a.body); id != "" && !suites.SameID(id, a.read.ID) {
				detail += fmt.Sprintf("; its data.id is %q, not the id asked for (OK-002 judges that)", id)
			}
			p.note("contact-id", FactOK, "%s", detail)
		case http.StatusNotFound:
			if foreignStatus == http.StatusOK {
				f := foreign[0]
				p.fail("contact-id", "%s and %s look swapped: %s %s was answered 404 Not Found and %s %s 200 OK",
					a.read.Input, f.read.Input, a.read.Input, a.read.ID, f.read.Input, f.read.ID)
				return
			}
			p.fail("contact-id", "%s %s is not readable with the token: %s was answered 404 Not Found (no such contact, or one of another company)", a.read.Input, a.read.ID, a.line())
			return
		case http.StatusBadRequest:
			p.fail("contact-id", "%s %s is not readable with the token: %s was answered 400 Bad Request (the server takes the id for a malformed one)", a.read.Input, a.read.ID, a.line())
			return
		case http.StatusUnauthorized, http.StatusForbidden:
			// The token got through elsewhere as the cases send it: it has expired since, or it
			// cannot read contacts (a scope it lacks); neither is a verdict on the server.
			if accepted != nil {
				if again := e.preflightRead(ctx, accepted.read); again.err == nil && again.refused() {
					p.fail("token", "the token stopped being accepted during the preflight: %s was answered %d, then %d; it expired (use %s to renew it)",
						accepted.line(), accepted.ex.Status, again.ex.Status, e.opts.TokenRenewal)
					return
				}
				p.fail("contact-id", "the token cannot read %s %s: %s was answered %d %s, though the token is accepted elsewhere; it lacks access to contacts (a scope, a role)",
					a.read.Input, a.read.ID, a.line(), a.ex.Status, http.StatusText(a.ex.Status))
				return
			}
			p.note("contact-id", FactNoted, "%s %s: %s was answered %s; the cases judge it", a.read.Input, a.read.ID, a.line(), e.describe(a))
		default:
			p.note("contact-id", FactNoted, "%s %s: %s was answered %s; the cases judge it", a.read.Input, a.read.ID, a.line(), e.describe(a))
		}
	}
	if len(foreign) == 0 {
		return
	}
	f := foreign[0]
	switch {
	case f.ex.Status == http.StatusNotFound:
		p.note("foreign-contact-id", FactOK, "%s %s is not readable with the token: %s was answered 404 Not Found, as another company's contact must be (and as an id that does not exist is: make sure it names a contact)", f.read.Input, f.read.ID, f.line())
	case f.ex.Status == http.StatusOK && company != "" && suites.SameID(suites.CompanyOf(f.body), company):
		p.fail("foreign-contact-id", "%s %s is not a contact of another company: %s was answered 200 OK with company %s, %s; give a contact of another company",
			f.read.Input, f.read.ID, f.line(), company, companyOf)
	case f.ex.Status == http.StatusOK:
		detail := fmt.Sprintf("%s %s: %s was answered 200 OK", f.read.Input, f.read.ID, f.line())
		if other := suites.CompanyOf(f.body); other != "" {
			detail += fmt.Sprintf(" with company %s", other)
			if company != "" {
				detail += ", another company's than " + whose
			}
		}
		p.note("foreign-contact-id", FactNoted, "%s; ID-002 judges it", detail)
	default:
		p.note("foreign-contact-id", FactNoted, "%s %s: %s was answered %s; the cases judge it", f.read.Input, f.read.ID, f.line(), e.describe(f))
	}
}
