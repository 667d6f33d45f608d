package refserver

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Fault is one named, single violation of the contract the reference server can be asked to
// commit. The repo's tests run the suites against each and require a failure naming Catches.
type Fault struct {
	Name        string
	Area        string
	Description string
	// Catches is the id of the requirement whose check must fail when this fault is injected.
	Catches string
	// Strict marks a fault against a SHOULD-level requirement: only a strict run fails on it.
	Strict bool
	// authorize, when set, overrides the verdict on the Authorization header values.
	authorize func(h *Handler, values []string, correct bool) bool
	// rewrite, when set, changes the correct reply before it is written.
	rewrite rewriteFunc
}

type rewriteFunc func(h *Handler, r *http.Request, rep *reply)

var faults = map[string]*Fault{}

func register(fs ...*Fault) {
	for _, f := range fs {
		if faults[f.Name] != nil {
			panic("refserver: fault registered twice: " + f.Name)
		}
		faults[f.Name] = f
	}
}

// FaultByName returns the named fault, or nil.
func FaultByName(name string) *Fault { return faults[name] }

// Faults lists every fault, sorted by name.
func Faults() []*Fault {
	out := make([]*Fault, 0, len(faults))
	for _, f := range faults {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// The route templates, as the faults aim at them.
const (
	contactRoute  = "/contact/{id}"
	campaignRoute = "/campaign/list"
	phoneRoute    = "/phone_number"
)

// when narrows a rewrite to the replies a predicate selects.
func when(selects func(h *Handler, r *http.Request, rep *reply) bool, rw rewriteFunc) rewriteFunc {
	return func(h *Handler, r *http.Request, rep *reply) {
		if selects(h, r, rep) {
			rw(h, r, rep)
		}
	}
}

// on selects the replies with the status on the route ("" for any route).
func on(template string, status int) func(h *Handler, r *http.Request, rep *reply) bool {
	return func(h *Handler, r *http.Request, rep *reply) bool {
		rt, _, ok := h.resolve(r)
		return rep.status == status && (template == "" || ok && rt.template == template)
	}
}

func isError(_ *Handler, _ *http.Request, rep *reply) bool { return rep.status >= 400 }

// onContactID selects the replies with the status on /contact/{id} whose id passes the test.
func onContactID(status int, test func(h *Handler, id string) bool) func(h *Handler, r *http.Request, rep *reply) bool {
	return func(h *Handler, r *http.Request, rep *reply) bool {
		rt, id, ok := h.resolve(r)
		return ok && rt.template == contactRoute && rep.status == status && test(h, id)
	}
}

func unknownContact(h *Handler, id string) bool { return h.fixtures.contact(id) == nil }

// foreignContact tells, of an id answered 404, that it exists: it belongs to another company.
func foreignContact(h *Handler, id string) bool { return h.fixtures.contact(id) != nil }

// replaceWith makes the reply another one.
func replaceWith(build func(h *Handler, r *http.Request) *reply) rewriteFunc {
	return func(h *Handler, r *http.Request, rep *reply) { *rep = *build(h, r) }
}

func withError(status int, message string) rewriteFunc {
	return replaceWith(func(*Handler, *http.Request) *reply { return errorReply(status, message) })
}

func withStatus(status int) rewriteFunc {
	return func(_ *Handler, _ *http.Request, rep *reply) { rep.status = status }
}

// routerPage is what a router's default handler writes, Go's http.NotFound for instance.
func routerPage(status int, text string) rewriteFunc {
	return replaceWith(func(*Handler, *http.Request) *reply {
		return &reply{status: status, header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, raw: []byte(text + "\n")}
	})
}

func withContentType(ct string) rewriteFunc {
	return func(_ *Handler, _ *http.Request, rep *reply) { rep.header.Set("Content-Type", ct) }
}

// editEnvelope changes a copy of the envelope, so that the fixtures the reply points into stay
// intact for the requests answered at the same time.
func editEnvelope(edit func(env map[string]any)) rewriteFunc {
	return func(_ *Handler, _ *http.Request, rep *reply) {
		if env, ok := copyJSON(rep.body, nil).(map[string]any); ok {
			edit(env)
			rep.body = env
		}
	}
}

// editRecords changes every record of a successful answer on the route: the contact, or each
// item of a list.
func editRecords(template string, edit func(rec map[string]any)) rewriteFunc {
	return when(on(template, http.StatusOK), editEnvelope(func(env map[string]any) {
		switch data := env["data"].(type) {
		case map[string]any:
			edit(data)
		case []any:
			for _, item := range data {
				if rec, ok := item.(map[string]any); ok {
					edit(rec)
				}
			}
		}
	}))
}

// eachOf applies edit to every object in a record's list field.
func eachOf(field string, edit func(rec map[string]any)) func(rec map[string]any) {
	return func(rec map[string]any) {
		items, _ := rec[field].([]any)
		for _, item := range items {
			if obj, ok := item.(map[string]any); ok {
				edit(obj)
			}
		}
	}
}

func set(key string, value any) func(rec map[string]any) {
	return func(rec map[string]any) { rec[key] = value }
}

// zoneless rewrites a timestamp the way the public documentation's examples write it.
func zoneless(keys ...string) func(rec map[string]any) {
	return func(rec map[string]any) {
		for _, k := range keys {
			if s, ok := rec[k].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					rec[k] = t.Format("2006-01-02T15:04:05")
				}
			}
		}
	}
}

// listWith answers the campaign list with the page size the function derives from the asked one.
func listWith(size func(asked int) int) rewriteFunc {
	return replaceWith(func(h *Handler, r *http.Request) *reply {
		asked, ok := campaignLimit(r)
		if !ok {
			asked = defaultCampaignPage
		}
		return h.list(h.fixtures.Campaigns, "campaigns", size(asked))
	})
}

// acceptsBearer is an authorization that, besides the correct credentials, accepts any Bearer
// token that the looser comparison matches against the real one.
func acceptsBearer(matches func(token, want string) bool) func(*Handler, []string, bool) bool {
	return func(h *Handler, values []string, correct bool) bool {
		scheme, token, ok := bearerToken(values)
		return correct || ok && strings.EqualFold(scheme, "Bearer") && matches(token, h.token)
	}
}

func authFaults() []*Fault {
	return []*Fault{
		{Name: "auth-any-bearer-token", Area: "auth", Catches: "AUTH-001",
			Description: "accepts any non-empty token under the Bearer scheme (the token is never compared)",
			authorize:   acceptsBearer(func(token, _ string) bool { return token != "" })},
		{Name: "auth-token-case-insensitive", Area: "auth", Catches: "AUTH-001",
			Description: "compares the token case-insensitively (a _ci collation), so the token in upper case is accepted",
			authorize:   acceptsBearer(strings.EqualFold)},
		{Name: "auth-missing-header-accepted", Area: "auth", Catches: "AUTH-001",
			Description: "serves a request without an Authorization header as the token's company (a forgotten development bypass)",
			authorize:   func(_ *Handler, values []string, correct bool) bool { return correct || len(values) == 0 }},
		{Name: "auth-any-scheme", Area: "auth", Catches: "AUTH-001",
			Description: "accepts the right token under any scheme (Basic, Token, ...)",
			authorize: func(h *Handler, values []string, correct bool) bool {
				_, token, ok := bearerToken(values)
				return correct || ok && token == h.token
			}},
		{Name: "auth-token-prefix", Area: "auth", Catches: "AUTH-001",
			Description: "accepts any token that starts with the right one (a comparison cut to the expected length)",
			authorize:   acceptsBearer(strings.HasPrefix)},
		{Name: "auth-token-last-char-ignored", Area: "auth", Catches: "AUTH-001",
			Description: "compares the token without its last character (an off-by-one in a constant-time comparison), so a token of the right length ending in any character is accepted",
			authorize: acceptsBearer(func(token, want string) bool {
				return len(token) == len(want) && len(want) > 0 && token[:len(token)-1] == want[:len(want)-1]
			})},
		{Name: "auth-fields-split", Area: "auth", Catches: "AUTH-001",
			Description: `splits the header on white space and reads the second field, so "Bearer <token> <anything>" passes`,
			authorize: func(h *Handler, values []string, correct bool) bool {
				fields := strings.Fields(strings.Join(values, " "))
				return correct || len(fields) >= 2 && strings.EqualFold(fields[0], "Bearer") && fields[1] == h.token
			}},
		{Name: "auth-bare-token", Area: "auth", Catches: "AUTH-001",
			Description: "accepts the token alone, without a scheme",
			authorize: func(h *Handler, values []string, correct bool) bool {
				return correct || len(values) == 1 && values[0] == h.token
			}},
		{Name: "auth-scheme-case-sensitive", Area: "auth", Catches: "AUTH-003",
			Description: `accepts the scheme only spelled "Bearer": "bearer <token>" is refused`,
			authorize: func(_ *Handler, values []string, correct bool) bool {
				return correct && strings.HasPrefix(values[0], "Bearer ")
			}},
		{Name: "auth-lower-case-scheme-only", Area: "auth", Catches: "OK-001",
			Description: `accepts the scheme only spelled "bearer" (compared with a lower-cased constant): "Bearer <token>" is refused`,
			authorize: func(_ *Handler, values []string, correct bool) bool {
				return correct && strings.HasPrefix(values[0], "bearer ")
			}},
		{Name: "auth-403", Area: "auth", Catches: "AUTH-001",
			Description: "refuses credentials with 403 Forbidden instead of 401",
			rewrite:     when(on("", http.StatusUnauthorized), withError(http.StatusForbidden, "forbidden"))},
		{Name: "auth-after-id", Area: "auth", Catches: "AUTH-001",
			Description: "validates and looks up the id before the credentials: an anonymous caller learns which ids are malformed or unknown",
			rewrite: when(onContactID(http.StatusUnauthorized, func(*Handler, string) bool { return true }),
				func(h *Handler, r *http.Request, rep *reply) {
					_, id, _ := h.resolve(r)
					if byID := h.getContact(r, id); byID.status != http.StatusOK {
						*rep = *byID
					}
				})},
		{Name: "auth-no-challenge", Area: "auth", Catches: "AUTH-002", Strict: true,
			Description: "answers 401 without a WWW-Authenticate header",
			rewrite: when(on("", http.StatusUnauthorized), func(_ *Handler, _ *http.Request, rep *reply) {
				rep.header.Del("WWW-Authenticate")
			})},
		{Name: "auth-401-plain-text", Area: "auth", Catches: "ENV-003",
			Description: `answers 401 the way http.Error does: text/plain "Unauthorized"`,
			rewrite:     when(on("", http.StatusUnauthorized), routerPage(http.StatusUnauthorized, "Unauthorized"))},
		{Name: "auth-401-oauth-body", Area: "auth", Catches: "ENV-002",
			Description: `answers 401 with an OAuth-style body {"error": "invalid_token"} instead of the error envelope`,
			rewrite: when(on("", http.StatusUnauthorized), func(_ *Handler, _ *http.Request, rep *reply) {
				rep.body = map[string]any{"error": "invalid_token"}
			})},
	}
}

func idFaults() []*Fault {
	return []*Fault{
		{Name: "foreign-id-served", Area: "unknown-id", Catches: "ID-002",
			Description: "serves a contact of another company (broken object-level authorization)",
			rewrite: when(onContactID(http.StatusNotFound, foreignContact), replaceWith(func(h *Handler, r *http.Request) *reply {
				_, id, _ := h.resolve(r)
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(h.fixtures.contact(id), "contact found")}
			}))},
		{Name: "foreign-id-403", Area: "unknown-id", Catches: "ID-002",
			Description: "answers a contact of another company 403, which tells the caller the id exists",
			rewrite:     when(onContactID(http.StatusNotFound, foreignContact), withError(http.StatusForbidden, "this contact belongs to another company"))},
		{Name: "foreign-id-message", Area: "unknown-id", Catches: "ID-005", Strict: true,
			Description: "answers a contact of another company 404, but with its own message, which tells the caller the id exists",
			rewrite:     when(onContactID(http.StatusNotFound, foreignContact), withError(http.StatusNotFound, "contact not accessible with this token"))},
		{Name: "unknown-id-200-null", Area: "unknown-id", Catches: "ID-001",
			Description: `answers an unknown id 200 with "data": null`,
			rewrite: when(onContactID(http.StatusNotFound, unknownContact), replaceWith(func(*Handler, *http.Request) *reply {
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(nil, "no contact")}
			}))},
		{Name: "unknown-id-500", Area: "unknown-id", Catches: "ID-001",
			Description: "answers an unknown id 500 (the empty lookup is treated as a failure)",
			rewrite:     when(onContactID(http.StatusNotFound, unknownContact), withError(http.StatusInternalServerError, "sql: no rows in result set"))},
		{Name: "malformed-id-500", Area: "malformed-id", Catches: "ID-003",
			Description: "passes an id that is not a UUID to the database, which fails: 500",
			rewrite:     when(on(contactRoute, http.StatusBadRequest), withError(http.StatusInternalServerError, "pq: invalid input syntax for type uuid"))},
		{Name: "malformed-id-leading-uuid", Area: "malformed-id", Catches: "ID-003",
			Description: "reads the UUID at the start of the id and ignores the rest, so `<id>' OR '1'='1` is answered 200",
			rewrite: when(on(contactRoute, http.StatusBadRequest), func(h *Handler, r *http.Request, rep *reply) {
				if _, id, _ := h.resolve(r); len(id) > 36 && isUUID(id[:36]) {
					*rep = *h.getContact(r, id[:36])
				}
			})},
		{Name: "malformed-id-404", Area: "malformed-id", Catches: "ID-004", Strict: true,
			Description: "answers an id that is not a UUID 404 rather than 400 (tolerated at MUST level)",
			rewrite:     when(on(contactRoute, http.StatusBadRequest), withError(http.StatusNotFound, "contact not found"))},
		{Name: "malformed-id-router-404", Area: "malformed-id", Catches: "ENV-003",
			Description: `leaves an id that is not a UUID to the router's default page: text/plain "404 page not found"`,
			rewrite:     when(on(contactRoute, http.StatusBadRequest), routerPage(http.StatusNotFound, "404 page not found"))},
	}
}

func schemaFaults() []*Fault {
	return []*Fault{
		{Name: "contact-missing-key", Area: "schema", Catches: "SPEC-001",
			Description: "leaves updated_at out of the contact",
			rewrite:     editRecords(contactRoute, func(rec map[string]any) { delete(rec, "updated_at") })},
		{Name: "phone-number-omitempty-nulls", Area: "schema", Catches: "SPEC-001",
			Description: "leaves null fields out of the phone numbers instead of sending null (Go's omitempty)",
			rewrite: editRecords("/phone_number", func(rec map[string]any) {
				for k, v := range rec {
					if v == nil {
						delete(rec, k)
					}
				}
			})},
		{Name: "contact-duration-as-string", Area: "schema", Catches: "SPEC-001",
			Description: `sends last_call_duration as a string ("187")`,
			rewrite: editRecords(contactRoute, func(rec map[string]any) {
				if d := rec["last_call_duration"]; d != nil {
					rec["last_call_duration"] = fmt.Sprint(d)
				}
			})},
		{Name: "contact-zoneless-timestamps", Area: "schema", Catches: "SPEC-001",
			Description: "writes created_at and updated_at without a zone (2023-10-01T12:00:00), as the public documentation's examples do",
			rewrite:     editRecords(contactRoute, zoneless("created_at", "updated_at"))},
		{Name: "contact-null-phone-number", Area: "schema", Catches: "SPEC-001",
			Description: "sends phone_number as null, which is not nullable",
			rewrite:     editRecords(contactRoute, set("phone_number", nil))},
		{Name: "contact-company-id-not-uuid", Area: "schema", Catches: "SPEC-001",
			Description: `sends company_id as an internal key ("company-42"), not a UUID`,
			rewrite:     editRecords(contactRoute, set("company_id", "company-42"))},
		{Name: "phone-number-zoneless-timestamps", Area: "schema", Catches: "SPEC-001",
			Description: "writes the phone numbers' timestamps without a zone, as the public documentation's examples do",
			rewrite:     editRecords("/phone_number", zoneless("created_at", "updated_at"))},
		{Name: "campaign-status-not-in-enum", Area: "schema", Catches: "SPEC-001",
			Description: `sends campaign status "running", which is not one of active, paused, completed`,
			rewrite:     editRecords(campaignRoute, set("status", "running"))},
		{Name: "campaign-started-at-date-time", Area: "schema", Catches: "SPEC-001",
			Description: "sends started_at as a date-time where the contract has a date (YYYY-MM-DD)",
			rewrite: editRecords(campaignRoute, func(rec map[string]any) {
				if d, ok := rec["started_at"].(string); ok {
					rec["started_at"] = d + "T00:00:00Z"
				}
			})},
		{Name: "campaign-days-of-week-iso", Area: "schema", Catches: "SPEC-001",
			Description: "numbers Sunday 7 in days_of_week (ISO 8601) where the contract has 0 to 6",
			rewrite: editRecords(campaignRoute, func(rec map[string]any) {
				days, _ := rec["days_of_week"].([]any)
				for i, d := range days {
					if fmt.Sprint(d) == "0" {
						days[i] = 7
					}
				}
			})},
		{Name: "campaign-tags-joined", Area: "schema", Catches: "SPEC-001",
			Description: `sends contacts_list_tags as one comma-separated string ("a,b") instead of an array`,
			rewrite: editRecords(campaignRoute, func(rec map[string]any) {
				tags, _ := rec["contacts_list_tags"].([]any)
				parts := make([]string, len(tags))
				for i, t := range tags {
					parts[i] = fmt.Sprint(t)
				}
				rec["contacts_list_tags"] = strings.Join(parts, ",")
			})},
		{Name: "webhook-direction-lower-case", Area: "schema", Catches: "SPEC-001",
			Description: `sends flow_direction "outbound" where the enum is INBOUND, OUTBOUND`,
			rewrite: editRecords("/webhook/flow/company/outbound", func(rec map[string]any) {
				if d, ok := rec["flow_direction"].(string); ok {
					rec["flow_direction"] = strings.ToLower(d)
				}
			})},
		{Name: "webhook-step-headers-null", Area: "schema", Catches: "SPEC-001",
			Description: "sends a step's webhook_headers as null when it has none; the field is a non-nullable object",
			rewrite: editRecords("/webhook/flow/company/outbound", eachOf("steps", func(step map[string]any) {
				if h, _ := step["webhook_headers"].(map[string]any); len(h) == 0 {
					step["webhook_headers"] = nil
				}
			}))},
		{Name: "webhook-is-template-as-integer", Area: "schema", Catches: "SPEC-001",
			Description: "sends is_template as 0 or 1 (a database tinyint) instead of a boolean",
			rewrite: editRecords("/webhook/flow/company/outbound", func(rec map[string]any) {
				if b, ok := rec["is_template"].(bool); ok {
					rec["is_template"] = map[bool]int{false: 0, true: 1}[b]
				}
			})},
		{Name: "list-paginated-object", Area: "schema", Catches: "SPEC-001",
			Description: `wraps every list in a page object, "data": {"items": [...], "total": n}, instead of an array`,
			rewrite: when(func(h *Handler, r *http.Request, rep *reply) bool {
				rt, _, ok := h.resolve(r)
				return ok && rt.template != contactRoute && rep.status == http.StatusOK
			}, editEnvelope(func(env map[string]any) {
				items, _ := env["data"].([]any)
				env["data"] = map[string]any{"items": items, "total": len(items)}
			}))},
	}
}

func envelopeFaults() []*Fault {
	return []*Fault{
		{Name: "contact-unwrapped", Area: "envelope", Catches: "OK-001",
			Description: "answers the contact itself, not wrapped in the envelope",
			rewrite: when(on(contactRoute, http.StatusOK), func(_ *Handler, _ *http.Request, rep *reply) {
				rep.body = rep.body.(map[string]any)["data"]
			})},
		{Name: "ok-status-success", Area: "envelope", Catches: "OK-001",
			Description: `answers success with "status": "success" instead of "ok"`,
			rewrite:     when(on("", http.StatusOK), editEnvelope(set("status", "success")))},
		{Name: "error-message-empty", Area: "envelope", Catches: "ENV-002",
			Description: `answers errors with an empty "message"`,
			rewrite:     when(isError, editEnvelope(set("message", "")))},
		{Name: "error-data-empty-object", Area: "envelope", Catches: "ENV-002",
			Description: `answers errors with "data": {} instead of null`,
			rewrite:     when(isError, editEnvelope(set("data", map[string]any{})))},
		{Name: "content-type-text-plain", Area: "content-type", Catches: "ENV-003",
			Description: "labels every JSON answer text/plain",
			rewrite:     withContentType("text/plain; charset=utf-8")},
		{Name: "content-type-twice", Area: "content-type", Catches: "ENV-003",
			Description: "sends every answer with two Content-Type fields, application/json and text/html (a framework's default added beside the handler's)",
			rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
				if rep.header == nil {
					rep.header = http.Header{}
				}
				rep.header["Content-Type"] = []string{"application/json; charset=utf-8", "text/html; charset=utf-8"}
			}},
		{Name: "error-status-key-twice", Area: "envelope", Catches: "SPEC-001",
			Description: `writes errors with the key "status" twice, "ok" then "error" (an envelope concatenated by hand): a client may keep either`,
			rewrite: when(isError, func(_ *Handler, _ *http.Request, rep *reply) {
				env, _ := rep.body.(map[string]any)
				message, _ := json.Marshal(env["message"])
				rep.raw = []byte(`{"status":"ok","message":` + string(message) + `,"data":null,"status":"error"}`)
			})},
		{Name: "errors-problem-json", Area: "content-type", Catches: "ENV-003",
			Description: "labels error answers application/problem+json (RFC 9457) though they carry the envelope",
			rewrite:     when(isError, withContentType("application/problem+json"))},
		{Name: "errors-as-200", Area: "status", Catches: "ENV-001",
			Description: `answers every error with HTTP 200 and "status": "error" (the error-in-200 pattern)`,
			rewrite:     when(isError, withStatus(http.StatusOK))},
		{Name: "limit-error-in-200", Area: "status", Catches: "ENV-001",
			Description: `answers an invalid limit with HTTP 200 and "status": "error", as the public documentation of the list endpoints says`,
			rewrite:     when(on(campaignRoute, http.StatusBadRequest), withStatus(http.StatusOK))},
	}
}

func methodAndListFaults() []*Fault {
	return []*Fault{
		{Name: "method-405-without-allow", Area: "methods", Catches: "METHOD-001",
			Description: "answers 405 without an Allow header",
			rewrite: when(on("", http.StatusMethodNotAllowed), func(_ *Handler, _ *http.Request, rep *reply) {
				rep.header.Del("Allow")
			})},
		{Name: "delete-answered-200", Area: "methods", Catches: "METHOD-001",
			Description: "answers DELETE 200 as if the contact had been deleted",
			rewrite: when(func(h *Handler, r *http.Request, rep *reply) bool {
				return r.Method == http.MethodDelete && on("", http.StatusMethodNotAllowed)(h, r, rep)
			}, replaceWith(func(*Handler, *http.Request) *reply {
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(nil, "contact deleted")}
			}))},
		{Name: "methods-router-404", Area: "methods", Catches: "METHOD-001",
			Description: `leaves other methods to the router's default page: text/plain "404 page not found"`,
			rewrite:     when(on("", http.StatusMethodNotAllowed), routerPage(http.StatusNotFound, "404 page not found"))},
		{Name: "methods-body-parsed-first", Area: "methods", Catches: "METHOD-001",
			Description: "parses the request body before looking at the method: other methods get 400 for the unparsable body",
			rewrite:     when(on("", http.StatusMethodNotAllowed), withError(http.StatusBadRequest, "invalid JSON body"))},
		{Name: "limit-ignored", Area: "list", Catches: "LIST-001",
			Description: "ignores limit and answers the whole collection",
			rewrite:     when(on(campaignRoute, http.StatusOK), listWith(func(int) int { return 0 }))},
		{Name: "limit-off-by-one", Area: "list", Catches: "LIST-001",
			Description: "answers one item more than limit (a <= where < belongs)",
			rewrite:     when(on(campaignRoute, http.StatusOK), listWith(func(n int) int { return n + 1 }))},
		{Name: "limit-invalid-default", Area: "list", Catches: "LIST-002",
			Description: "answers a limit that is not a positive integer with the default page instead of 400",
			rewrite:     when(on(campaignRoute, http.StatusBadRequest), listWith(func(int) int { return defaultCampaignPage }))},
		{Name: "limit-invalid-422", Area: "list", Catches: "LIST-002",
			Description: "answers a limit that is not a positive integer 422 instead of 400",
			rewrite:     when(on(campaignRoute, http.StatusBadRequest), withStatus(http.StatusUnprocessableEntity))},
		{Name: "list-other-company", Area: "list", Catches: "LIST-003",
			Description: "lists campaigns of every company, another company's first (a tenant filter forgotten in the query)",
			rewrite:     when(on(campaignRoute, http.StatusOK), everyCompanysCampaigns)},
		{Name: "phone-numbers-of-another-company", Area: "list", Catches: "LIST-003",
			Description: "lists another company's phone numbers only (the tenant taken from a stale cache), which no comparison among the items can see",
			rewrite: when(on(phoneRoute, http.StatusOK), replaceWith(func(h *Handler, r *http.Request) *reply {
				var foreign []map[string]any
				for _, p := range h.fixtures.PhoneNumbers {
					if p["company_id"] != h.fixtures.CompanyID {
						foreign = append(foreign, p)
					}
				}
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(foreign, "phone numbers")}
			}))},
		{Name: "wrong-record", Area: "ok", Catches: "OK-002",
			Description: "GET /contact/{id} answers with another contact of the same company",
			rewrite:     when(on(contactRoute, http.StatusOK), anotherOwnContact)},
	}
}

// everyCompanysCampaigns lists the campaigns of every company, another company's first.
func everyCompanysCampaigns(h *Handler, r *http.Request, rep *reply) {
	limit, _ := campaignLimit(r)
	var foreign, own []map[string]any
	for _, c := range h.fixtures.Campaigns {
		if c["company_id"] == h.fixtures.CompanyID {
			own = append(own, c)
		} else {
			foreign = append(foreign, c)
		}
	}
	all := append(foreign, own...)
	*rep = reply{status: http.StatusOK, header: http.Header{}, body: envelope(all[:min(limit, len(all))], "campaigns")}
}

// anotherOwnContact answers with a contact of the token's company other than the one asked for.
func anotherOwnContact(h *Handler, r *http.Request, rep *reply) {
	_, asked, _ := h.resolve(r)
	for _, id := range h.fixtures.OwnContactIDs() {
		if !strings.EqualFold(id, asked) {
			rep.body = envelope(h.fixtures.contact(id), "contact found")
			return
		}
	}
}

// lowerCaseScheme selects the requests whose credentials spell the scheme "bearer".
func lowerCaseScheme(_ *Handler, r *http.Request, _ *reply) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "bearer ")
}

// otherAccept selects the requests whose Accept is anything but the usual application/json,
// none included.
func otherAccept(_ *Handler, r *http.Request, _ *reply) bool {
	return r.Header.Get("Accept") != "application/json"
}

// upperCaseID selects the requests for a contact whose id has upper-case hex digits.
func upperCaseID(h *Handler, r *http.Request, _ *reply) bool {
	_, id, ok := h.resolve(r)
	return ok && strings.ToLower(id) != id
}

func both(a, b func(h *Handler, r *http.Request, rep *reply) bool) func(h *Handler, r *http.Request, rep *reply) bool {
	return func(h *Handler, r *http.Request, rep *reply) bool { return a(h, r, rep) && b(h, r, rep) }
}

// The faults that leak only under a spelling the plain request does not use: a scheme in lower
// case, an Accept header of another kind, an id in upper case. Each is a second code path (a
// middleware of its own, a cache keyed on a header, a lookup on the id as written) where the
// tenant check was forgotten, which only a suite judging every answer, not only its ok cases',
// sees.
func spellingFaults() []*Fault {
	return []*Fault{
		{Name: "lowercase-scheme-other-company-campaigns", Area: "list", Catches: "LIST-003",
			Description: `lists every company's campaigns when the scheme is spelled "bearer" (a second authentication path that sets no tenant)`,
			rewrite:     when(both(on(campaignRoute, http.StatusOK), lowerCaseScheme), everyCompanysCampaigns)},
		{Name: "lowercase-scheme-foreign-contact", Area: "ok", Catches: "OK-002",
			Description: `answers GET /contact/{id} with another company's contact when the scheme is spelled "bearer"`,
			rewrite: when(both(on(contactRoute, http.StatusOK), lowerCaseScheme), func(h *Handler, _ *http.Request, rep *reply) {
				rep.body = envelope(h.fixtures.contact(h.fixtures.foreignContactID()), "contact found")
			})},
		{Name: "lowercase-scheme-no-tenant", Area: "unknown-id", Catches: "ID-002",
			Description: `serves another company's contact when the scheme is spelled "bearer" (the second authentication path sets no tenant)`,
			rewrite: when(both(onContactID(http.StatusNotFound, foreignContact), lowerCaseScheme), replaceWith(func(h *Handler, r *http.Request) *reply {
				_, id, _ := h.resolve(r)
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(h.fixtures.contact(id), "contact found")}
			}))},
		{Name: "accept-other-company-phone-numbers", Area: "list", Catches: "LIST-003",
			Description: "lists another company's phone numbers among the company's when Accept is not exactly application/json (a cache keyed on Accept, filled for another tenant)",
			rewrite: when(both(on(phoneRoute, http.StatusOK), otherAccept), replaceWith(func(h *Handler, r *http.Request) *reply {
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(h.fixtures.PhoneNumbers, "phone numbers")}
			}))},
		{Name: "accept-wrong-record", Area: "ok", Catches: "OK-002",
			Description: "answers GET /contact/{id} with another contact of the company when Accept is not exactly application/json",
			rewrite:     when(both(on(contactRoute, http.StatusOK), otherAccept), anotherOwnContact)},
		{Name: "foreign-id-served-upper-case", Area: "unknown-id", Catches: "ID-002",
			Description: "serves another company's contact when its id is written in upper case (the tenant checked on the id as written, the record found on the id as parsed)",
			rewrite: when(both(onContactID(http.StatusNotFound, foreignContact), upperCaseID), replaceWith(func(h *Handler, r *http.Request) *reply {
				_, id, _ := h.resolve(r)
				return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(h.fixtures.contact(id), "contact found")}
			}))},
		{Name: "wrong-record-upper-case", Area: "ok", Catches: "OK-002",
			Description: "answers a contact's id written in upper case with another contact of the company",
			rewrite:     when(both(on(contactRoute, http.StatusOK), upperCaseID), anotherOwnContact)},
	}
}

func init() {
	register(authFaults()...)
	register(idFaults()...)
	register(schemaFaults()...)
	register(envelopeFaults()...)
	register(methodAndListFaults()...)
	register(inputFaults()...)
	register(spellingFaults()...)
}

// requests selects the replies to the requests the predicate picks, on the route ("" for any).
func requests(template string, picks func(h *Handler, r *http.Request, param string) bool) func(h *Handler, r *http.Request, rep *reply) bool {
	return func(h *Handler, r *http.Request, rep *reply) bool {
		rt, param, ok := h.resolve(r)
		return ok && (template == "" || rt.template == template) && r.Method == http.MethodGet && h.authorized(r) && picks(h, r, param)
	}
}

// limitValues are the limit parameter's values as the request spells them.
func limitValues(r *http.Request) []string { return r.URL.Query()["limit"] }

// lenientInteger reads an integer as a lenient parser does: spaces around it, a plus sign, leading
// zeros, a zero fraction and an exponent all taken.
func lenientInteger(s string) (int, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// canonicalInteger reports whether s is an integer written the plain way: digits, no sign, no
// leading zero.
func canonicalInteger(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// The faults only a derived or generated input finds: each breaks on one class of value that the
// fixed cases of earlier versions never sent.
func inputFaults() []*Fault {
	serverError := withError(http.StatusInternalServerError, "internal server error")
	return []*Fault{
		{Name: "limit-large-500", Area: "input", Catches: "INPUT-001",
			Description: "answers 500 for a limit above 1000 (a page buffer sized for 1000 items)",
			rewrite: when(requests(campaignRoute, func(_ *Handler, r *http.Request, _ string) bool {
				for _, v := range limitValues(r) {
					if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n > 1000 {
						return true
					}
				}
				return false
			}), serverError)},
		{Name: "limit-sign-500", Area: "input", Catches: "INPUT-001",
			Description: `answers 500 for a limit spelled with a sign ("+5"): the parser strips digits and indexes past the string`,
			rewrite: when(requests(campaignRoute, func(_ *Handler, r *http.Request, _ string) bool {
				for _, v := range limitValues(r) {
					if strings.HasPrefix(v, "+") {
						return true
					}
				}
				return false
			}), serverError)},
		{Name: "limit-spelling-422", Area: "input", Catches: "INPUT-002",
			Description: `answers 422 for a limit spelled other than plainly ("+5", "005", " 5 ", "5.0", "1e2"), where the contract allows 200 or 400`,
			rewrite: when(requests(campaignRoute, func(_ *Handler, r *http.Request, _ string) bool {
				for _, v := range limitValues(r) {
					if n, ok := lenientInteger(v); ok && n >= 1 && !canonicalInteger(v) {
						return true
					}
				}
				return false
			}), withError(http.StatusUnprocessableEntity, "limit must be written as a plain integer"))},
		{Name: "uuid-version-500", Area: "input", Catches: "INPUT-001",
			Description: "answers 500 for a well-formed UUID of another version than 4 (validated as version 4, then looked up as something else)",
			rewrite: when(requests(contactRoute, func(h *Handler, _ *http.Request, id string) bool {
				return isUUID(id) && h.fixtures.contact(id) == nil && strings.Trim(id, "0-") != "" && id[14] != '4' && !strings.EqualFold(id, "ffffffff-ffff-ffff-ffff-ffffffffffff")
			}), serverError)},
		{Name: "id-nul-500", Area: "input", Catches: "INPUT-001",
			Description: "answers 500 for an id holding a NUL byte (%00): it reaches the database, which refuses the string",
			rewrite: when(requests(contactRoute, func(_ *Handler, _ *http.Request, id string) bool { return strings.ContainsRune(id, 0) }),
				withError(http.StatusInternalServerError, "pq: invalid byte sequence for encoding UTF8: 0x00"))},
		{Name: "long-id-500", Area: "input", Catches: "INPUT-001",
			Description: "answers 500 for an id longer than 1024 bytes (a fixed-size key buffer)",
			rewrite:     when(requests(contactRoute, func(_ *Handler, _ *http.Request, id string) bool { return len(id) > 1024 }), serverError)},
		{Name: "accept-html-500", Area: "input", Catches: "INPUT-001",
			Description: "answers 500 when Accept admits no JSON (the HTML template it looks for does not exist)",
			rewrite:     when(func(_ *Handler, _ *http.Request, rep *reply) bool { return rep.status == http.StatusNotAcceptable }, serverError)},
		{Name: "accept-html-page", Area: "input", Catches: "ACCEPT-001",
			Description: "answers Accept: text/html with an HTML page and 200, as a web framework's content negotiation does",
			rewrite: when(func(_ *Handler, _ *http.Request, rep *reply) bool { return rep.status == http.StatusNotAcceptable },
				replaceWith(func(*Handler, *http.Request) *reply {
					return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, raw: []byte("<!DOCTYPE html><html><body><h1>Contacts</h1></body></html>\n")}
				}))},
		{Name: "outbound-list-inbound-flow", Area: "list", Catches: "SPEC-001",
			Description: "lists the company's inbound flows among the outbound ones (the direction filter forgotten)",
			rewrite: when(on("/webhook/flow/company/outbound", http.StatusOK), editEnvelope(func(env map[string]any) {
				if flows, _ := env["data"].([]any); len(flows) > 0 {
					if flow, ok := flows[0].(map[string]any); ok {
						flow["flow_direction"] = "INBOUND"
					}
				}
			}))},
		{Name: "updated-before-created", Area: "schema", Catches: "TIME-001", Strict: true,
			Description: "writes a contact's updated_at a day before its created_at (a clock or a migration gone wrong)",
			rewrite: editRecords(contactRoute, func(rec map[string]any) {
				if s, ok := rec["created_at"].(string); ok {
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						rec["updated_at"] = t.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
					}
				}
			})},
	}
}
