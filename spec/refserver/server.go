// Package refserver is the reference implementation of the contract in spec/openapi.yaml: an
// in-process HTTP server on loopback, fed by the fixtures in testdata/. The runner uses it when no
// base URL is given, the suites' own tests run against it, and its fault switches let the repo's
// tests prove that each check catches the violation it is written for.
package refserver

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options configure a reference server. The zero value serves the embedded fixtures correctly.
type Options struct {
	// Token is the bearer token the server accepts; empty means the fixtures' token.
	Token string
	// Prefix is a path prefix the API lives under ("/v1"), for exercising base URLs with a path.
	Prefix string
	// Latency is added before every answer, to measure the runner against a slow server.
	Latency time.Duration
	// Fault names one fault of Faults() to inject; empty serves the contract faithfully.
	Fault string
	// Quirks name conformant variations of Quirks() to apply, for proving the suite raises no
	// false alarm on them; they are applied in the catalogue's order, whatever the order here.
	Quirks []string
	// Fixtures replaces the embedded fixtures (for instance with a 10,000-campaign list).
	Fixtures *Fixtures
	// Observe, when set, sees every request the server receives, before it is answered.
	Observe func(*http.Request)
}

// Server is a running reference server.
type Server struct {
	URL   string
	Token string
	// ContactID is a contact of the token's company; ForeignContactID one of another company.
	ContactID        string
	ForeignContactID string
	httpServer       *http.Server
	done             chan struct{}
}

// Start serves on a free loopback port until Close.
func Start(opts Options) (*Server, error) {
	return StartOn("127.0.0.1:0", opts)
}

// StartOn serves on the given address until Close.
func StartOn(addr string, opts Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("reference server: %w", err)
	}
	s := &Server{
		URL:              "http://" + ln.Addr().String() + strings.TrimSuffix(opts.Prefix, "/"),
		Token:            h.Token(),
		ContactID:        h.ContactID(),
		ForeignContactID: h.ForeignContactID(),
		httpServer:       &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		done:             make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.httpServer.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and waits for it.
//
// Connections are closed at once rather than drained: the server is closed when its clients are
// done, and a graceful shutdown would wait seconds for a connection a client dialled but never
// used, which Go counts as active.
func (s *Server) Close() {
	_ = s.httpServer.Close()
	<-s.done
}

// Handler answers the API's requests.
type Handler struct {
	token    string
	prefix   string
	latency  time.Duration
	fault    *Fault
	quirks   []*Quirk
	fixtures *Fixtures
	observe  func(*http.Request)
	// requests counts the errors a quirk numbers; atomic, since requests are served at once.
	requests atomic.Uint64
}

// NewHandler builds the handler alone, for embedding in another server.
func NewHandler(opts Options) (*Handler, error) {
	fx := opts.Fixtures
	if fx == nil {
		var err error
		if fx, err = EmbeddedFixtures(); err != nil {
			return nil, err
		}
	}
	h := &Handler{token: opts.Token, prefix: strings.TrimSuffix(opts.Prefix, "/"), latency: opts.Latency, fixtures: fx, observe: opts.Observe}
	if h.token == "" {
		h.token = fx.Token
	}
	if opts.Fault != "" {
		f := FaultByName(opts.Fault)
		if f == nil {
			return nil, fmt.Errorf("reference server: unknown fault %q (see --list-faults)", opts.Fault)
		}
		h.fault = f
	}
	quirks, err := quirksByName(opts.Quirks)
	if err != nil {
		return nil, err
	}
	h.quirks = quirks
	return h, nil
}

// Token is the bearer token the handler accepts.
func (h *Handler) Token() string { return h.token }

// ContactID is a contact of the token's company.
func (h *Handler) ContactID() string { return h.fixtures.ownContactID() }

// ForeignContactID is a contact of another company than the token's.
func (h *Handler) ForeignContactID() string { return h.fixtures.foreignContactID() }

// reply is an answer before it is written, so that a fault can rewrite any part of it.
type reply struct {
	status int
	header http.Header
	// body is marshalled as JSON unless raw is set.
	body any
	raw  []byte
}

func envelope(data any, message string) map[string]any {
	return map[string]any{"status": "ok", "message": message, "data": data}
}

func errorReply(status int, message string) *reply {
	return &reply{status: status, header: http.Header{}, body: map[string]any{"status": "error", "message": message, "data": nil}}
}

type route struct {
	template string
	serve    func(h *Handler, r *http.Request, param string) *reply
}

// routes lists every documented path; the order matters only for readability.
var routes = []route{
	{"/contact/{id}", (*Handler).getContact},
	{"/phone_number", (*Handler).listPhoneNumbers},
	{"/campaign/list", (*Handler).listCampaigns},
	{"/webhook/flow/company/outbound", (*Handler).listWebhookFlows},
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.observe != nil {
		h.observe(r)
	}
	if h.latency > 0 {
		select {
		case <-time.After(h.latency):
		case <-r.Context().Done():
			return
		}
	}
	rep := h.answer(r)
	if h.fault != nil && h.fault.rewrite != nil {
		h.fault.rewrite(h, r, rep)
	}
	for _, q := range h.quirks {
		q.rewrite(h, r, rep)
	}
	h.write(w, r, rep)
}

// resolve finds the documented route of a request and its id parameter, unescaped.
func (h *Handler) resolve(r *http.Request) (route, string, bool) {
	path := r.URL.EscapedPath()
	if h.prefix != "" {
		if !strings.HasPrefix(path, h.prefix+"/") {
			return route{}, "", false
		}
		path = strings.TrimPrefix(path, h.prefix)
	}
	return match(path)
}

func (h *Handler) answer(r *http.Request) *reply {
	rt, param, ok := h.resolve(r)
	if !ok {
		return errorReply(http.StatusNotFound, "no such path")
	}
	// Credentials are checked before the method and the id, so that an unauthenticated caller
	// learns nothing about which paths, methods or ids exist.
	if !h.authorized(r) {
		rep := errorReply(http.StatusUnauthorized, "missing or invalid bearer token")
		rep.header.Set("WWW-Authenticate", `Bearer realm="contacts", error="invalid_token"`)
		return rep
	}
	if r.Method != http.MethodGet {
		rep := errorReply(http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, rt.template))
		rep.header.Set("Allow", http.MethodGet)
		return rep
	}
	if !admitsJSON(r.Header.Values("Accept")) {
		return errorReply(http.StatusNotAcceptable, "not acceptable: this API answers application/json only")
	}
	return rt.serve(h, r, param)
}

// admitsJSON reports whether the Accept header admits application/json (RFC 9110 section 12.5.1):
// no header admits anything; a media range of q=0 admits nothing.
func admitsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, member := range strings.Split(v, ",") {
			mediaRange, params, _ := strings.Cut(strings.TrimSpace(member), ";")
			mediaRange = strings.ToLower(strings.TrimSpace(mediaRange))
			if mediaRange != "*/*" && mediaRange != "application/*" && mediaRange != "application/json" {
				continue
			}
			refused := false
			for _, p := range strings.Split(params, ";") {
				if name, q, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(name, "q") {
					if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
						refused = true
					}
				}
			}
			if !refused {
				return true
			}
		}
	}
	return false
}

// match finds the route of an escaped path; the parameter is returned unescaped.
func match(path string) (route, string, bool) {
	for _, rt := range routes {
		prefix, hasParam := strings.CutSuffix(rt.template, "{id}")
		if !hasParam {
			if path == rt.template {
				return rt, "", true
			}
			continue
		}
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || rest == "" || strings.Contains(rest, "/") {
			continue
		}
		param, err := url.PathUnescape(rest)
		if err != nil {
			return rt, rest, true
		}
		return rt, param, true
	}
	return route{}, "", false
}

func (h *Handler) authorized(r *http.Request) bool {
	correct := h.checkToken(r.Header.Values("Authorization"))
	if h.fault != nil && h.fault.authorize != nil {
		return h.fault.authorize(h, r.Header.Values("Authorization"), correct)
	}
	return correct
}

// checkToken accepts exactly one Authorization header holding the bearer scheme (any case, RFC
// 7235 section 2.1) and the token.
func (h *Handler) checkToken(values []string) bool {
	scheme, token, ok := bearerToken(values)
	return ok && strings.EqualFold(scheme, "Bearer") && token == h.token
}

// bearerToken splits the one Authorization header into scheme and credentials; the auth faults
// each get the rest of checkToken wrong in one way.
func bearerToken(values []string) (scheme, token string, ok bool) {
	if len(values) != 1 {
		return "", "", false
	}
	return strings.Cut(values[0], " ")
}

func (h *Handler) getContact(r *http.Request, id string) *reply {
	if !isUUID(id) {
		return errorReply(http.StatusBadRequest, "invalid contact id: not a UUID")
	}
	c := h.fixtures.contact(id)
	if c == nil || c["company_id"] != h.fixtures.CompanyID {
		// Another company's contact is answered exactly like an unknown one: no existence leak.
		return errorReply(http.StatusNotFound, "contact not found")
	}
	return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(c, "contact found")}
}

func (h *Handler) listPhoneNumbers(r *http.Request, _ string) *reply {
	return h.list(h.fixtures.PhoneNumbers, "phone numbers", 0)
}

func (h *Handler) listWebhookFlows(r *http.Request, _ string) *reply {
	return h.list(h.fixtures.WebhookFlows, "webhook flows", 0)
}

// defaultCampaignPage is the page size when no limit is given: the documentation is silent, and a
// page smaller than the fixtures makes the default visible.
const defaultCampaignPage = 20

func (h *Handler) listCampaigns(r *http.Request, _ string) *reply {
	limit, ok := campaignLimit(r)
	if !ok {
		return errorReply(http.StatusBadRequest, "limit must be a positive integer")
	}
	return h.list(h.fixtures.Campaigns, "campaigns", limit)
}

// campaignLimit is the page size a request asks for; ok is false when its limit is not exactly
// one positive integer.
func campaignLimit(r *http.Request) (limit int, ok bool) {
	values, present := r.URL.Query()["limit"]
	if !present {
		return defaultCampaignPage, true
	}
	n, err := strconv.Atoi(values[0])
	if err != nil || n < 1 || len(values) != 1 {
		return 0, false
	}
	return n, true
}

func (h *Handler) list(items []map[string]any, message string, limit int) *reply {
	data := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if it["company_id"] == h.fixtures.CompanyID {
			data = append(data, it)
		}
		if limit > 0 && len(data) == limit {
			break
		}
	}
	return &reply{status: http.StatusOK, header: http.Header{}, body: envelope(data, message)}
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, rep *reply) {
	body := rep.raw
	if body == nil {
		var err error
		if body, err = json.Marshal(rep.body); err != nil {
			http.Error(w, "reference server: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	for k, vs := range rep.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rep.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// isUUID accepts the 8-4-4-4-12 hex layout in any case. The reference server keeps its own rather
// than the validator's: it is an implementation of the contract, checked by the suite, not a user
// of the suite's code.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
