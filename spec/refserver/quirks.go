package refserver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Quirk is a behaviour the contract allows that a naive suite gets wrong: the repo's tests run the
// suites against the reference server with each, and require that every case still passes.
type Quirk struct {
	Name        string
	Description string
	rewrite     rewriteFunc
}

// quirks are applied in this order; gzip comes last, since it encodes the finished body.
var quirks = []*Quirk{
	{Name: "case-sensitive-ids", Description: "ids are looked up as text, exactly as written: a contact's id in upper case matches nothing and is answered 404",
		rewrite: func(h *Handler, r *http.Request, rep *reply) {
			if rt, id, ok := h.resolve(r); ok && rt.template == contactRoute && rep.status == http.StatusOK {
				if c := h.fixtures.contact(id); c != nil && c["id"] != id {
					*rep = *errorReply(http.StatusNotFound, "contact not found")
				}
			}
		}},
	{Name: "extra-keys", Description: "every JSON object of every answer, the envelope and error envelopes included, carries an undocumented key",
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			rep.body = copyJSON(rep.body, func(node any) any {
				if obj, ok := node.(map[string]any); ok {
					obj["x_undocumented"] = "forward compatibility: a client ignores keys it does not know"
				}
				return node
			})
		}},
	{Name: "upper-case-ids", Description: "every UUID the server writes is in upper-case hex (ids asked for in lower case still match)",
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			rep.body = copyJSON(rep.body, func(node any) any {
				if s, ok := node.(string); ok && isUUID(s) {
					return strings.ToUpper(s)
				}
				return node
			})
		}},
	{Name: "lower-case-timestamps", Description: `every date-time is written with a lower-case "t" and "z" (2025-03-14t09:26:53z), as RFC 3339 section 5.6 allows`,
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			rep.body = copyJSON(rep.body, func(node any) any {
				if s, ok := node.(string); ok && len(s) > len(time.DateOnly) && s[len(time.DateOnly)] == 'T' {
					if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
						return strings.NewReplacer("T", "t", "Z", "z").Replace(s)
					}
				}
				return node
			})
		}},
	{Name: "content-type-spelling", Description: `Content-Type "Application/JSON;Charset=UTF-8": media types and their parameters are case-insensitive`,
		rewrite: withContentType("Application/JSON;Charset=UTF-8")},
	{Name: "lower-case-challenge", Description: `WWW-Authenticate in lower case with more auth-params: bearer realm="contacts", error="invalid_token", error_description="..."`,
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			if rep.header.Get("WWW-Authenticate") != "" {
				rep.header.Set("WWW-Authenticate", `bearer realm="contacts", error="invalid_token", error_description="the access token is missing or invalid"`)
			}
		}},
	{Name: "several-challenges", Description: `401 offers two challenges in two WWW-Authenticate fields, Basic first, then Bearer (RFC 7235 section 4.1)`,
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			if bearer := rep.header.Get("WWW-Authenticate"); bearer != "" {
				rep.header["Www-Authenticate"] = []string{`Basic realm="contacts"`, bearer}
			}
		}},
	{Name: "id-in-message", Description: "a 404 for a contact quotes the id asked for, in upper case, in its message",
		rewrite: func(h *Handler, r *http.Request, rep *reply) {
			if rt, id, ok := h.resolve(r); ok && rt.template == "/contact/{id}" && rep.status == http.StatusNotFound {
				setMessage(rep, fmt.Sprintf("contact %s not found", strings.ToUpper(id)))
			}
		}},
	{Name: "request-id-in-message", Description: "every error message ends with an id of its own request, different each time",
		rewrite: func(h *Handler, _ *http.Request, rep *reply) {
			if rep.status >= 400 {
				// Knuth's multiplicative hash spreads the counter, so ids look like a server's.
				n := h.requests.Add(1)
				setMessage(rep, fmt.Sprintf("%s (request %08x)", message(rep), n*2654435761%(1<<32)))
			}
		}},
	{Name: "lenient-integers", Description: `takes a limit the way lenient parsers do: "+5", "005", " 5 ", "5.0" and "1e2" are numbers, and of a limit given twice the last counts`,
		rewrite: func(h *Handler, r *http.Request, rep *reply) {
			if rt, _, ok := h.resolve(r); !ok || rt.template != "/campaign/list" || rep.status != http.StatusBadRequest {
				return
			}
			values := r.URL.Query()["limit"]
			if len(values) == 0 {
				return
			}
			if n, ok := lenientInteger(values[len(values)-1]); ok && n >= 1 {
				*rep = *h.list(h.fixtures.Campaigns, "campaigns", n)
			}
		}},
	{Name: "ignores-accept", Description: "answers JSON whatever the Accept header says, rather than 406 for a request that admits no JSON (RFC 9110 section 12.5.1 allows either)",
		rewrite: func(h *Handler, r *http.Request, rep *reply) {
			if rep.status == http.StatusNotAcceptable {
				r = r.Clone(r.Context())
				r.Header.Del("Accept")
				*rep = *h.answer(r)
			}
		}},
	{Name: "front-end-404-for-encoded-slash", Description: `a front end (Apache httpd with AllowEncodedSlashes Off) answers any path holding an encoded slash (%2F) with its own HTML 404 page`,
		rewrite: func(_ *Handler, r *http.Request, rep *reply) {
			if strings.Contains(strings.ToUpper(r.URL.EscapedPath()), "%2F") {
				*rep = reply{status: http.StatusNotFound, header: http.Header{"Content-Type": {"text/html; charset=iso-8859-1"}},
					raw: []byte("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n")}
			}
		}},
	{Name: "time-in-message", Description: "every error message ends with the time of the answer, to the second",
		rewrite: func(_ *Handler, _ *http.Request, rep *reply) {
			if rep.status >= 400 {
				setMessage(rep, fmt.Sprintf("%s at %s", message(rep), time.Now().UTC().Format(time.RFC3339)))
			}
		}},
	{Name: "gzip", Description: "answers gzip-compressed when the client accepts it",
		rewrite: func(_ *Handler, r *http.Request, rep *reply) {
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				return
			}
			body := rep.raw
			if body == nil {
				var err error
				if body, err = json.Marshal(rep.body); err != nil {
					return // the writer reports it
				}
			}
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(body)
			_ = zw.Close()
			rep.raw = buf.Bytes()
			rep.header.Set("Content-Encoding", "gzip")
			rep.header.Add("Vary", "Accept-Encoding")
		}},
}

// Quirks lists every quirk, in the order they are applied.
func Quirks() []*Quirk { return append([]*Quirk(nil), quirks...) }

func quirksByName(names []string) ([]*Quirk, error) {
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
	}
	var out []*Quirk
	for _, q := range quirks {
		if wanted[q.Name] {
			out = append(out, q)
			delete(wanted, q.Name)
		}
	}
	for n := range wanted {
		return nil, fmt.Errorf("reference server: unknown quirk %q", n)
	}
	return out, nil
}

// copyJSON deep-copies a decoded JSON value as replies hold it (fixture records included), and
// passes each copied node, children first, through visit when it is set. Replies point into the
// fixtures, which concurrent requests share: they are only ever changed on a copy.
func copyJSON(v any, visit func(any) any) any {
	var out any
	switch t := v.(type) {
	case map[string]any:
		obj := make(map[string]any, len(t))
		for k, c := range t {
			obj[k] = copyJSON(c, visit)
		}
		out = obj
	case []map[string]any:
		list := make([]any, len(t))
		for i, c := range t {
			list[i] = copyJSON(c, visit)
		}
		out = list
	case []any:
		list := make([]any, len(t))
		for i, c := range t {
			list[i] = copyJSON(c, visit)
		}
		out = list
	default:
		out = v
	}
	if visit != nil {
		out = visit(out)
	}
	return out
}

func message(rep *reply) string {
	env, _ := rep.body.(map[string]any)
	m, _ := env["message"].(string)
	return m
}

// setMessage replaces the envelope's message on a copy, since replies may share fixtures.
func setMessage(rep *reply, m string) {
	if env, ok := rep.body.(map[string]any); ok {
		copied := make(map[string]any, len(env))
		for k, v := range env {
			copied[k] = v
		}
		copied["message"] = m
		rep.body = copied
	}
}
