package suites

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/contacts-conformance/suite/spec"
)

// The checks below are the only place verdicts are decided. Each returns a Finding that says what
// was expected and what came back, in the contract's words.

// What a message quotes of a server's answer is cut to a few bytes, enough to recognise it, so a
// hostile server cannot blow a report up; spec.Shorten marks each cut for the redactor.
const (
	quotedBytes  = 200 // a header, a message
	previewBytes = 60  // a body
	valueBytes   = 80  // a JSON value
)

// quoted quotes what a server sent, cut to quotedBytes.
func quoted(s string) string { return strconv.Quote(spec.Shorten(s, quotedBytes)) }

func describeStatus(ex *Exchange) string {
	s := fmt.Sprintf("%d %s", ex.Status, http.StatusText(ex.Status))
	if loc := ex.Header.Get("Location"); ex.Status/100 == 3 && loc != "" {
		s += fmt.Sprintf(", a redirect to %s (not followed: the contract answers in place, and the credentials are never sent on)", quoted(loc))
	} else if ex.Status/100 == 2 && bodyStatus(ex) == "error" {
		s += ` with "status": "error" in the body (the error-in-200 pattern: an error answered with HTTP 200, which the contract forbids)`
	} else if ct := ex.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		s += fmt.Sprintf(" with Content-Type %s (%s)", quoted(ct), preview(ex.Body))
	}
	return s
}

func preview(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return "empty body"
	}
	return "body " + strconv.Quote(spec.Shorten(s, previewBytes))
}

func bodyStatus(ex *Exchange) string {
	v, err := ex.JSON()
	if err != nil {
		return ""
	}
	obj, _ := v.(map[string]any)
	s, _ := obj["status"].(string)
	return s
}

func statusList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s", c, http.StatusText(c))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// expectStatus requires one of the codes.
func expectStatus(req *Requirement, codes ...int) Check {
	return Check{Req: req, Verify: func(ex *Exchange) *Finding {
		for _, c := range codes {
			if ex.Status == c {
				return nil
			}
		}
		return &Finding{Expected: statusList(codes), Actual: describeStatus(ex)}
	}}
}

// expectErrorEnvelope requires the error envelope, whatever the status code (the status is
// another requirement's business).
func expectErrorEnvelope() Check {
	return Check{Req: ReqErrorEnvelope, Verify: func(ex *Exchange) *Finding {
		const want = `{"status": "error", "message": "<non-empty>", "data": null}`
		v, err := ex.JSON()
		if err != nil {
			return &Finding{Expected: want, Actual: err.Error()}
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return &Finding{Expected: want, Actual: fmt.Sprintf("a JSON %s, not an object", jsonKind(v))}
		}
		var problems []string
		if s, _ := obj["status"].(string); s != "error" {
			problems = append(problems, fmt.Sprintf(`"status" is %s, not "error"`, jsonValue(obj, "status")))
		}
		if m, _ := obj["message"].(string); strings.TrimSpace(m) == "" {
			problems = append(problems, fmt.Sprintf(`"message" is %s, not a non-empty string`, jsonValue(obj, "message")))
		}
		if d, present := obj["data"]; !present || d != nil {
			problems = append(problems, fmt.Sprintf(`"data" is %s, not null`, jsonValue(obj, "data")))
		}
		if len(problems) == 0 {
			return nil
		}
		return &Finding{Expected: want, Actual: strings.Join(problems, "; ")}
	}}
}

func jsonValue(obj map[string]any, key string) string {
	v, present := obj[key]
	if !present {
		return "missing"
	}
	return compactJSON(v)
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case nil:
		return "null"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	default:
		return "number"
	}
}

// expectNoErrorIn200 names the most likely real-world deviation on its own, whatever the case.
var expectNoErrorIn200 = Check{Req: ReqNoErrorIn200, Verify: func(ex *Exchange) *Finding {
	if ex.Status/100 != 2 || bodyStatus(ex) != "error" {
		return nil
	}
	return &Finding{
		Expected: `an error answered with a 4xx or 5xx status code and "status": "error"`,
		Actual:   fmt.Sprintf(`%d with "status": "error" in the body: the error-in-200 pattern, which the contract forbids`, ex.Status),
	}
}}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

var expectJSONContentType = Check{Req: ReqContentType, Verify: func(ex *Exchange) *Finding {
	// Content-Type is a singleton (RFC 9110 section 5.3): of two fields, a client may read either,
	// and the page a browser renders from the second is not the JSON the suite reads in the first.
	if fields := ex.Header.Values("Content-Type"); len(fields) > 1 {
		var quotedFields []string
		for i, f := range fields {
			if i == 3 { // a hostile server may send thousands
				quotedFields = append(quotedFields, fmt.Sprintf("and %d more", len(fields)-i))
				break
			}
			quotedFields = append(quotedFields, quoted(f))
		}
		return &Finding{Expected: "one Content-Type field: application/json (a charset parameter is allowed)",
			Actual: fmt.Sprintf("%d Content-Type fields (%s): a client may read any of them (RFC 9110 section 5.3)", len(fields), strings.Join(quotedFields, ", "))}
	}
	ct := ex.Header.Get("Content-Type")
	if isJSON(ct) {
		return nil
	}
	actual := "Content-Type " + quoted(ct)
	if ct == "" {
		actual = "no Content-Type header"
	}
	return &Finding{Expected: "Content-Type: application/json (a charset parameter is allowed)", Actual: actual + " (" + preview(ex.Body) + ")"}
}}

var expectSpec = Check{Req: ReqSpec, Verify: func(ex *Exchange) *Finding {
	violations := ex.Violations
	// The schema describes one value per name; a body giving one twice holds two answers, and
	// which one a client reads depends on its parser.
	if r := ex.RepeatedName(); r != nil {
		violations = append(violations[:len(violations):len(violations)], r.Violation())
	}
	if len(violations) == 0 {
		return nil
	}
	details := make([]string, len(violations))
	for i, v := range violations {
		details[i] = v.String()
	}
	noun := "violation"
	if len(details) > 1 {
		noun += "s"
	}
	return &Finding{
		Expected: fmt.Sprintf("a %d response of %s as the document describes it", ex.Status, ex.Case.Operation.ID),
		Actual:   fmt.Sprintf("%d %s of the document", len(details), noun),
		Details:  details,
	}
}}

var expectChallenge = Check{Req: ReqAuthChallenge, Verify: func(ex *Exchange) *Finding {
	if ex.Status != http.StatusUnauthorized {
		return nil // the status itself is AUTH-001's finding
	}
	values := ex.Header.Values("WWW-Authenticate")
	for _, v := range values {
		if offersBearer(v) {
			return nil
		}
	}
	actual := "no WWW-Authenticate header"
	if len(values) > 0 {
		actual = fmt.Sprintf("WWW-Authenticate: %s, which offers no Bearer challenge", quoted(strings.Join(values, ", ")))
	}
	return &Finding{Expected: `WWW-Authenticate: Bearer realm="..."`, Actual: actual}
}}

// offersBearer reports whether a WWW-Authenticate field value holds a Bearer challenge. A field
// may list several challenges separated by commas, and their parameters are comma-separated too
// (RFC 7235 section 4.1): a challenge starts with a scheme name, a parameter with name=value.
func offersBearer(field string) bool {
	for _, part := range splitOutsideQuotes(field) {
		first, _, _ := strings.Cut(strings.TrimSpace(part), " ")
		if strings.EqualFold(first, "Bearer") {
			return true
		}
	}
	return false
}

// splitOutsideQuotes splits a header field at the commas that are not inside a quoted string
// (RFC 9110 section 5.6.4): realm="a, Bearer b" is one parameter, not two challenges.
func splitOutsideQuotes(field string) []string {
	var parts []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(field); i++ {
		switch c := field[i]; {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, field[start:i])
			start = i + 1
		}
	}
	return append(parts, field[start:])
}

var expectAllow = Check{Req: ReqMethod, Verify: func(ex *Exchange) *Finding {
	if ex.Status != http.StatusMethodNotAllowed {
		return nil // the status is checked on its own
	}
	allowed := ex.Header.Values("Allow")
	for _, v := range allowed {
		for _, m := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(m), http.MethodGet) {
				return nil
			}
		}
	}
	actual := "no Allow header"
	if len(allowed) > 0 {
		actual = fmt.Sprintf("Allow: %s, which does not list GET", quoted(strings.Join(allowed, ", ")))
	}
	return &Finding{Expected: "an Allow header listing GET", Actual: actual}
}}

// expectOKEnvelope requires the success envelope; the schema of data is SPEC-001's business.
var expectOKEnvelope = Check{Req: ReqOK, Verify: func(ex *Exchange) *Finding {
	const want = `200 OK with {"status": "ok", "message": "...", "data": ...}`
	if ex.Status != http.StatusOK {
		return &Finding{Expected: want, Actual: describeStatus(ex)}
	}
	v, err := ex.JSON()
	if err != nil {
		return &Finding{Expected: want, Actual: err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &Finding{Expected: want, Actual: fmt.Sprintf("a JSON %s, not the envelope", jsonKind(v))}
	}
	if s, _ := obj["status"].(string); s != "ok" {
		return &Finding{Expected: want, Actual: fmt.Sprintf(`"status" is %s`, jsonValue(obj, "status"))}
	}
	if _, present := obj["data"]; !present {
		return &Finding{Expected: want, Actual: `no "data" key: the record is not wrapped in the envelope`}
	}
	return nil
}}

func data(ex *Exchange) (any, bool) {
	if ex.Status != http.StatusOK {
		return nil, false
	}
	return servedData(ex)
}

// servedData is the data of any 2xx answer: what the tenant invariants judge, since a record
// leaked under a 2xx other than 200 is leaked all the same.
func servedData(ex *Exchange) (any, bool) {
	if ex.Status/100 != 2 {
		return nil, false
	}
	v, err := ex.JSON()
	if err != nil {
		return nil, false
	}
	obj, _ := v.(map[string]any)
	d, present := obj["data"]
	return d, present
}

// expectRecordAskedFor requires the record of a 2xx answer to be the one whose id the request
// names.
func expectRecordAskedFor(id string) Check {
	return Check{Req: ReqSameRecord, Verify: func(ex *Exchange) *Finding {
		d, ok := servedData(ex)
		obj, isRecord := d.(map[string]any)
		if !ok || !isRecord {
			return nil // no record to compare: OK-001 and SPEC-001 report why
		}
		got, _ := obj["id"].(string)
		if sameUUID(got, id) {
			return nil
		}
		return &Finding{Expected: fmt.Sprintf("data.id %q", id), Actual: fmt.Sprintf("data.id %s: a different record than the one asked for", jsonValue(obj, "id"))}
	}}
}

func sameUUID(a, b string) bool {
	ua, errA := uuid.Parse(a)
	ub, errB := uuid.Parse(b)
	if errA != nil || errB != nil {
		return strings.EqualFold(a, b)
	}
	return ua == ub
}

// expectAtMost requires a list of at most n items. When the answer holds fewer, a limit that was
// ignored looks the same as one honoured, unless the whole collection is larger: the check asks
// for it (at path; "" asks nothing), and says so in the report when the collection is too small
// for the check to bite.
func expectAtMost(n int, path string) Check {
	return Check{Req: ReqLimitHonoured, Verify: func(ex *Exchange) *Finding {
		d, ok := data(ex)
		if !ok {
			return nil
		}
		items, isList := d.([]any)
		if !isList {
			return nil // a data that is not a list is SPEC-001's finding
		}
		if len(items) > n {
			return &Finding{Expected: fmt.Sprintf("at most %d items (limit=%d)", n, n), Actual: fmt.Sprintf("%d items: the limit was ignored", len(items))}
		}
		if ex.Probe != nil && path != "" {
			// Asking for one more than n is enough to learn whether the collection holds more.
			more, err := ex.Probe(path, url.Values{"limit": {strconv.Itoa(n + 1)}})
			list, ok := probedList(more, err)
			switch {
			case !ok:
				ex.Notes = append(ex.Notes, fmt.Sprintf("LIST-001 could not learn whether the collection holds more than %d items: limit=%d %s", n, n+1, unprobed(more, err)))
			case len(list) <= n:
				ex.Notes = append(ex.Notes, fmt.Sprintf("LIST-001 had nothing to bite on: the collection holds %d items, so limit=%d cannot be told from no limit", len(list), n))
			}
		}
		return nil
	}}
}

func probedList(p *Probed, err error) ([]any, bool) {
	if err != nil || p.Status != http.StatusOK {
		return nil, false
	}
	obj, _ := p.Body.(map[string]any)
	list, ok := obj["data"].([]any)
	return list, ok
}

// unprobed says, for a note, why a probe's answer could not be used.
func unprobed(p *Probed, err error) string {
	if err != nil {
		return "could not be read: " + err.Error()
	}
	return fmt.Sprintf("was answered %d %s", p.Status, http.StatusText(p.Status))
}

// common are the checks every exchange gets, whatever the case asks.
func common() []Check {
	return []Check{expectSpec, expectNoErrorIn200, expectJSONContentType}
}

// expectOneCompany requires every item of a list that carries a company_id to belong to the
// token's company. A single foreign record is a cross-tenant leak. The company is the configured
// contact's when there is one (contactPath reads it); otherwise the items are compared with each
// other, which catches a mixed list but not one holding another company's records only.
func expectOneCompany(contactPath string) Check {
	return Check{Req: ReqListOneCompany, Verify: func(ex *Exchange) *Finding {
		d, ok := servedData(ex)
		if !ok {
			return nil
		}
		items, _ := d.([]any)
		want, source := "", "the company of the first item"
		if contactPath != "" && ex.Probe != nil {
			contact, err := ex.Probe(contactPath, nil)
			why := ""
			if err == nil && contact.Status == http.StatusOK {
				obj, _ := contact.Body.(map[string]any)
				record, _ := obj["data"].(map[string]any)
				want, _ = record["company_id"].(string)
				why = "carried no company_id"
			} else {
				why = unprobed(contact, err)
			}
			if want != "" {
				source = "the company of the configured contact"
			} else {
				ex.Notes = append(ex.Notes, "LIST-003 compared the items with each other only: the configured contact "+why)
			}
		}
		for i, it := range items {
			obj, _ := it.(map[string]any)
			company, _ := obj["company_id"].(string)
			switch {
			case company == "":
				continue
			case want == "":
				want = company
			case !sameUUID(company, want):
				return &Finding{
					Expected: fmt.Sprintf("every item of company %s, %s", spec.Shorten(want, valueBytes), source),
					Actual:   fmt.Sprintf("item %d belongs to company %s: records of another company are listed", i, spec.Shorten(company, valueBytes)),
				}
			}
		}
		return nil
	}}
}

// expectSameAsUnknown compares the answer about another company's resource with the answer about
// an unknown id: any difference but the id itself tells an attacker the resource exists. The three
// are asked afresh, one right after the other, an unknown id on either side of the resource: a
// message that quotes the time then matches the one asked for between them. When the two unknown
// ids' messages still differ (a request id), the message cannot be compared, and the case says so
// instead of guessing.
func expectSameAsUnknown(unknownPaths [2]string) Check {
	return Check{Req: ReqForeignIndistinct, Verify: func(ex *Exchange) *Finding {
		ask := ex.Fresh
		if ask == nil && ex.Probe != nil {
			ask = func(path string) (*Probed, error) { return ex.Probe(path, nil) }
		}
		if ask == nil {
			return nil
		}
		var unknown [2]*Probed
		var resource *Probed
		for i, path := range []string{unknownPaths[0], ex.Case.Request.Path, unknownPaths[1]} {
			p, err := ask(path)
			switch {
			case i == 1 && err != nil:
				ex.Notes = append(ex.Notes, "ID-005 could not compare: asking again for the resource "+unprobed(p, err))
				return nil
			case i == 1:
				resource = p
			case err != nil || p.Status != http.StatusNotFound:
				// The unknown-id cases judge that answer; this check has nothing to compare with.
				ex.Notes = append(ex.Notes, "ID-005 could not compare: an unknown id "+unprobed(p, err))
				return nil
			default:
				unknown[i/2] = p
			}
		}
		want := maskedMessage(unknown[0].Body)
		if other := maskedMessage(unknown[1].Body); other != want {
			ex.Notes = append(ex.Notes, fmt.Sprintf("ID-005 compared the status only: the message for an unknown id changes from one request to the next (%s, then %s)", quoted(want), quoted(other)))
			if resource.Status == http.StatusNotFound {
				return nil
			}
		}
		got := maskedMessage(resource.Body)
		if resource.Status == http.StatusNotFound && got == want {
			return nil
		}
		return &Finding{
			Expected: fmt.Sprintf("the answer to an unknown id: 404 with message %s", quoted(want)),
			Actual:   fmt.Sprintf("%d with message %s: the answer tells that the resource exists", resource.Status, quoted(got)),
		}
	}}
}

var anyUUID = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// maskedMessage is the envelope's message with every UUID in it, in any case, replaced: a server
// may quote the id asked for.
func maskedMessage(body any) string {
	obj, _ := body.(map[string]any)
	message, _ := obj["message"].(string)
	return anyUUID.ReplaceAllString(message, "<id>")
}

// expectNoServerError names a 5xx as the server failing on the input: whatever else is wrong, the
// input reached code that could not take it.
var expectNoServerError = Check{Req: ReqNoServerError, Verify: func(ex *Exchange) *Finding {
	if ex.Status < 500 {
		return nil
	}
	return &Finding{Expected: "a 2xx or 4xx answer: an input the server cannot take is a client error", Actual: describeStatus(ex) + ": the server failed on this input"}
}}

// onStatus applies the check only to an answer with the status: an open value may be answered
// either way, and each way has its own requirements.
func onStatus(status int, c Check) Check {
	return Check{Req: c.Req, Verify: func(ex *Exchange) *Finding {
		if ex.Status != status {
			return nil
		}
		return c.Verify(ex)
	}}
}

// expectAcceptAnswer requires JSON whatever the Accept header: as without it when Accept admits
// JSON (200 for a readable request), else as without it or 406.
func expectAcceptAnswer(admitsJSON bool) Check {
	return Check{Req: ReqAccept, Verify: func(ex *Exchange) *Finding {
		accepted := ex.Status == http.StatusOK || (!admitsJSON && ex.Status == http.StatusNotAcceptable)
		if accepted && isJSON(ex.Header.Get("Content-Type")) {
			return nil
		}
		want := "200 OK in JSON, as without the Accept header"
		if !admitsJSON {
			want = "200 OK in JSON, as without the Accept header, or 406 Not Acceptable with the error envelope"
		}
		return &Finding{Expected: want, Actual: describeStatus(ex)}
	}}
}

// expectTimeOrder requires the timestamps the response schema orders (x-conformance-order) to
// never decrease, in every record of the answer, nested ones included.
var expectTimeOrder = Check{Req: ReqTimeOrder, Verify: func(ex *Exchange) *Finding {
	if ex.Status != http.StatusOK || ex.Case.Operation == nil {
		return nil
	}
	body, err := ex.JSON()
	if err != nil {
		return nil
	}
	var problems []string
	walkOrdered(ex.Case.Operation.BodySchema(http.StatusOK), body, "", &problems)
	if len(problems) == 0 {
		return nil
	}
	return &Finding{Expected: "every record's timestamps in their order (updated_at not before created_at)", Actual: fmt.Sprintf("%d record(s) out of order", len(problems)), Details: problems}
}}

// walkOrdered visits the value along its schema, checking each object's ordered timestamps.
func walkOrdered(schema *openapi3.Schema, value any, pointer string, problems *[]string) {
	if schema == nil {
		return
	}
	for _, sub := range schema.AllOf {
		walkOrdered(sub.Value, value, pointer, problems)
	}
	switch v := value.(type) {
	case map[string]any:
		order := spec.Order(schema)
		for i := 1; i < len(order); i++ {
			before, okBefore := timestamp(v[order[i-1]])
			after, okAfter := timestamp(v[order[i]])
			if okBefore && okAfter && after.Before(before) {
				*problems = append(*problems, fmt.Sprintf("%s: %s %s is before %s %s", pointerOrRoot(pointer), order[i], v[order[i]], order[i-1], v[order[i-1]]))
			}
		}
		for name, prop := range schema.Properties {
			if child, ok := v[name]; ok && prop.Value != nil {
				walkOrdered(prop.Value, child, pointer+"/"+name, problems)
			}
		}
	case []any:
		if schema.Items != nil {
			for i, item := range v {
				walkOrdered(schema.Items.Value, item, fmt.Sprintf("%s/%d", pointer, i), problems)
			}
		}
	}
}

func pointerOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// timestamp reads an RFC 3339 date-time, the T and the Z in either case.
func timestamp(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
	return t, err == nil
}
