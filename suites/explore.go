package suites

import (
	"fmt"
	"math/big"
	"math/rand"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/contacts-conformance/suite/spec"
)

// The generative phase: for a budget of requests, inputs are drawn from the parameters' schemas and
// the Accept variants, combined, and every answer is held to the invariants every response must
// meet. A generated input is a case like any other, with a way to shrink it: a failing one is made
// as small and plain as it can be while it still fails the same way.

// DefaultExplore is the budget of a default run: one round through every class of value of every
// parameter the document's reads take, and every Accept variant, with some to spare.
const DefaultExplore = 100

// ExploreArea is the area of the generated cases, which --run and --skip select like any other.
const ExploreArea = "explore"

// input is one generated request: a value for the operation's parameter (when it has one) and an
// Accept header.
type input struct {
	op    *spec.Operation
	param *spec.Param
	// value is the parameter's value; Class "configured" is the contact the user gave.
	value  Value
	accept acceptVariant
	n      int
}

type acceptVariant struct {
	name, accept string
	admitsJSON   bool
}

// defaultAccept is what every other case sends, and what a shrunk input falls back to.
var defaultAccept = acceptVariant{"default", "application/json", true}

// ExploreClasses is how many classes of input an operation has: the values of its parameter (one
// class when it has none) times nothing, since the Accept variants are cycled alongside.
func exploreClasses(c *spec.Contract, op *spec.Operation, cfg Config) int {
	if p := exploredParam(op); p != nil {
		return len(paramClasses(c, p, cfg, newIDSource(0)))
	}
	return len(acceptVariants)
}

// exploredParam is the parameter the generator varies: the first the operation documents.
func exploredParam(op *spec.Operation) *spec.Param {
	if len(op.Params) == 0 {
		return nil
	}
	return op.Params[0]
}

// paramClasses are the classes of value the generator draws from: the derived values, the
// configured contact for an id the user names, and random ones made afresh at every draw.
func paramClasses(c *spec.Contract, p *spec.Param, cfg Config, ids *idSource) []Value {
	values := deriveValues(c, p, ids)
	if p.In == openapi3.ParameterInPath && cfg.ContactID != "" {
		values = append(values, Value{Class: "configured", Title: "the configured contact", Raw: []string{cfg.ContactID}, Validity: Valid})
	}
	return append(values, Value{Class: "random"})
}

// ExploreShares is how a budget is shared among the document's reads, by operation id, in the
// contract's order, with the classes of value each draws from.
func ExploreShares(c *spec.Contract, cfg Config, budget int) (ops []string, share, classes map[string]int) {
	share, classes = map[string]int{}, map[string]int{}
	for _, cs := range Explore(c, cfg, budget) {
		if share[cs.Operation.ID] == 0 {
			ops = append(ops, cs.Operation.ID)
			classes[cs.Operation.ID] = exploreClasses(c, cs.Operation, cfg)
		}
		share[cs.Operation.ID]++
	}
	return ops, share, classes
}

// Explore builds the generated cases of a run: budget inputs shared among the claimed reads of the
// document by their number of classes, each read's first inputs going once through every class in
// an order the seed decides, the rest drawn at random. A read outside the claim gets none: a server
// is not sent requests for an operation its vendor does not claim to serve.
func Explore(c *spec.Contract, cfg Config, budget int) []*Case {
	var reads []*spec.Operation
	weights := map[*spec.Operation]int{}
	total := 0
	for _, op := range c.Operations {
		if op.Method == http.MethodGet && cfg.Claim.Covers(op.ID) {
			reads = append(reads, op)
			weights[op] = exploreClasses(c, op, cfg)
			total += weights[op]
		}
	}
	if budget <= 0 || total == 0 {
		return nil
	}
	rng := rand.New(rand.NewSource(cfg.Seed ^ 0x5eed))
	var cases []*Case
	given := 0
	for i, op := range reads {
		share := budget * weights[op] / total
		if i == len(reads)-1 {
			share = budget - given
		}
		given += share
		g := &generator{contract: c, op: op, cfg: cfg, rng: rng, ids: &idSource{rng: rng}}
		cases = append(cases, g.cases(share)...)
	}
	return cases
}

// generator draws one operation's inputs.
type generator struct {
	contract *spec.Contract
	op       *spec.Operation
	cfg      Config
	rng      *rand.Rand
	ids      *idSource
}

func (g *generator) cases(n int) []*Case {
	param := exploredParam(g.op)
	classes := len(acceptVariants)
	if param != nil {
		classes = len(paramClasses(g.contract, param, g.cfg, g.ids))
	}
	order := g.rng.Perm(classes)
	var cases []*Case
	for i := 0; i < n; i++ {
		class := g.rng.Intn(classes)
		if i < classes {
			class = order[i]
		}
		in := input{op: g.op, param: param, n: i + 1}
		if param != nil {
			in.value = g.draw(param, class)
			in.accept = g.acceptOf(i)
		} else {
			in.accept = variantOf(acceptVariants[class])
		}
		cases = append(cases, g.caseOf(in))
	}
	return cases
}

func variantOf(v struct {
	name, title, accept string
	admitsJSON          bool
}) acceptVariant {
	return acceptVariant{v.name, v.accept, v.admitsJSON}
}

// acceptOf is the i-th input's Accept header: every variant in turn, then at random, some of them
// lists with q-values of the generator's own.
func (g *generator) acceptOf(i int) acceptVariant {
	if i < len(acceptVariants) {
		return variantOf(acceptVariants[(i+g.rng.Intn(len(acceptVariants)))%len(acceptVariants)])
	}
	if g.rng.Intn(4) == 0 {
		q := g.rng.Intn(10)
		return acceptVariant{"random-q", fmt.Sprintf("text/plain;q=0.%d, application/json;q=0.%d", 9-q, q+1), true}
	}
	return variantOf(acceptVariants[g.rng.Intn(len(acceptVariants))])
}

// draw is a value of the class: a derived one made afresh from the generator's stream (new
// UUIDs of the same version, say), or, for the random class, one of the generator's own.
func (g *generator) draw(p *spec.Param, class int) Value {
	values := paramClasses(g.contract, p, g.cfg, g.ids)
	v := values[class]
	if v.Class != "random" {
		return v
	}
	switch {
	case p.Schema.Type.Is("integer"):
		return g.randomInteger(p)
	case p.Schema.Format == "uuid":
		return g.randomUUID()
	default:
		return g.randomString(p)
	}
}

// randomInteger is a number of a random magnitude, 1 to 21 digits, sometimes negative, sometimes
// spelled the way lenient parsers take.
func (g *generator) randomInteger(p *spec.Param) Value {
	digits := 1 + g.rng.Intn(21)
	n := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits-1)), nil)
	n.Add(n, new(big.Int).Rand(g.rng, new(big.Int).Mul(n, big.NewInt(9))))
	if g.rng.Intn(10) == 0 {
		n.Neg(n)
	}
	v := integerValue(p, n.String())
	if g.rng.Intn(5) == 0 {
		spelled := []string{"+" + n.String(), "0" + n.String(), " " + n.String() + " "}[g.rng.Intn(3)]
		v = integerValue(p, spelled)
	}
	return v
}

// integerValue judges an integer parameter's raw value: a plain number by the schema and the
// decisions on magnitudes; another spelling of a valid one is open; anything else invalid.
func integerValue(p *spec.Param, raw string) Value {
	v := Value{Class: "random", Raw: []string{raw}, Validity: Invalid}
	n, canonical := parseInteger(raw)
	switch {
	case n != nil && canonical:
		v.Validity, v.Why = judgeInteger(p.Schema, n)
	case n != nil && withinBounds(p.Schema, n):
		v.Validity, v.Why = Open, openSpelling
	}
	if n != nil && v.Validity != Invalid && n.IsInt64() && n.Int64() <= 5 {
		v.Limit = n
	}
	return v
}

// parseInteger reads a decimal integer, spaces, a plus sign and leading zeros allowed; canonical
// says it had none of them.
func parseInteger(raw string) (n *big.Int, canonical bool) {
	s := strings.TrimSpace(raw)
	digits := strings.TrimPrefix(s, "+")
	if strings.HasPrefix(digits, "-") {
		digits = digits[1:]
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil, false
	}
	n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "+"), 10)
	if !ok {
		return nil, false
	}
	return n, s == raw && n.String() == raw
}

// randomUUID is a fresh UUID of a random version, or a near miss of one: a digit short or more, a
// digit that is not hex, a hyphen moved, a case changed.
func (g *generator) randomUUID() Value {
	id := uuidSource{g.ids}.make(byte(1+g.rng.Intn(8)), 0b10, 2)
	switch g.rng.Intn(6) {
	case 0:
		i := g.rng.Intn(len(id))
		id = id[:i] + id[i+1:]
	case 1:
		i := g.rng.Intn(len(id))
		id = id[:i] + string("ghxz{}"[g.rng.Intn(6)]) + id[i+1:]
	case 2:
		id = strings.ToUpper(id)
	}
	return uuidValue(id)
}

// uuidValue judges an id: a UUID of RFC 9562's variant is valid, and so are nil and max; one of
// another variant is open; anything else invalid.
func uuidValue(id string) Value {
	v := Value{Class: "random", Raw: []string{id}, Validity: Invalid}
	if spec.IsUUID(id) {
		v.Validity = Valid
		special := strings.Trim(id, "0-") == "" || strings.Trim(strings.ToLower(id), "f-") == ""
		if variant := strings.ToLower(id)[19]; !special && !strings.ContainsRune("89ab", rune(variant)) {
			v.Validity, v.Why = Open, openVariant
		}
	}
	return v
}

// randomString is up to 64 characters drawn from letters, digits, reserved and non-ASCII ones.
func (g *generator) randomString(p *spec.Param) Value {
	const pool = "abcXYZ019-_.~;,/?:@&=+$!*'()#[] %\x00éЖ😀"
	runes := []rune(pool)
	var b strings.Builder
	for i := g.rng.Intn(65); i > 0; i-- {
		b.WriteRune(runes[g.rng.Intn(len(runes))])
	}
	if p.In == openapi3.ParameterInPath && !fillsSegment(b.String()) {
		b.WriteRune('a')
	}
	return g.stringValue(p, b.String())
}

func (g *generator) stringValue(p *spec.Param, raw string) Value {
	v := Value{Class: "random", Raw: []string{raw}, Validity: Valid}
	if g.contract.CheckParam(p, raw) != nil {
		v.Validity = Invalid
	}
	return v
}

// caseOf is the generated input as a case: the request, what the answer must be, and how to shrink
// it.
func (g *generator) caseOf(in input) *Case {
	b := builder{contract: g.contract, op: g.op, cfg: g.cfg, ids: g.ids, contactPath: contactPathOf(g.contract, g.cfg)}
	req := Request{Path: g.op.Path, Auth: Bearer, Header: map[string]string{"Accept": in.accept.accept}}
	if in.accept == defaultAccept {
		req.Header = nil
	}
	status, served := http.StatusOK, true
	var want []int
	var req4 *Requirement
	if in.param != nil {
		value := in.value.Raw[0]
		if in.param.In == openapi3.ParameterInPath {
			req.Path = b.pathWith(value)
		} else {
			req.Query = url.Values{in.param.Name: in.value.Raw}
			req.Path = b.readablePath()
			if in.value.Wire != "" {
				req.Query, req.RawQuery = nil, in.param.Name+"="+in.value.Wire
			}
		}
		status, want, req4, served = expectationOf(in.param, in.value)
	} else {
		want, req4 = []int{http.StatusOK}, ReqOK
	}
	if !in.accept.admitsJSON {
		want = append(want, http.StatusNotAcceptable)
	}
	checks := []Check{expectNoServerError, expectStatus(req4, want...), onErrorStatus(expectErrorEnvelope()), expectNo406(in.accept.admitsJSON), expectJSONWhateverAccepted(in.accept.admitsJSON)}
	if served {
		for _, c := range b.servedChecks() {
			checks = append(checks, onStatus(http.StatusOK, c))
		}
		if n, ok := limitOf(in.value); ok && in.param != nil && in.param.MaxItems {
			checks = append(checks, onStatus(http.StatusOK, expectAtMost(n, "")))
		}
	}
	c := b.newCase(ExploreArea, fmt.Sprintf("input-%d", in.n), status, describeInput(in, req), req, checks...)
	if in.param != nil && in.param.In == openapi3.ParameterInPath {
		c = frontEndMay404(in.value.Raw[0], c)
	}
	c.Shrink = func(stillFails func(*Case) bool) *Case { return g.shrink(in, stillFails) }
	if !g.cfg.HaveToken {
		c.Skip = g.cfg.needToken()
	}
	return c
}

// expectationOf is what the document makes of a value: the status a conformant server answers,
// every status it may, the requirement a wrong one breaks, and whether a 200 serves records.
func expectationOf(p *spec.Param, v Value) (status int, want []int, req *Requirement, served bool) {
	path := p.In == openapi3.ParameterInPath
	switch {
	case v.Class == "configured":
		return http.StatusOK, []int{http.StatusOK}, ReqOK, true
	case v.Validity == Valid && path:
		return http.StatusNotFound, []int{http.StatusNotFound}, ReqUnknownID, false
	case v.Validity == Valid:
		return http.StatusOK, []int{http.StatusOK}, ReqOK, true
	case v.Validity == Open && path:
		return http.StatusNotFound, []int{http.StatusNotFound, http.StatusBadRequest}, ReqOpenInput, false
	case v.Validity == Open:
		return http.StatusOK, []int{http.StatusOK, http.StatusBadRequest}, ReqOpenInput, true
	case path:
		return http.StatusBadRequest, []int{http.StatusBadRequest, http.StatusNotFound}, ReqMalformedIDSafe, false
	default:
		return http.StatusBadRequest, []int{http.StatusBadRequest}, ReqLimitInvalid, false
	}
}

// onErrorStatus applies the check to error answers only.
func onErrorStatus(c Check) Check {
	return Check{Req: c.Req, Verify: func(ex *Exchange) *Finding {
		if ex.Status < 400 {
			return nil
		}
		return c.Verify(ex)
	}}
}

// expectNo406 refuses a 406 to a request whose Accept admits JSON.
func expectNo406(admitsJSON bool) Check {
	return Check{Req: ReqAccept, Verify: func(ex *Exchange) *Finding {
		if !admitsJSON || ex.Status != http.StatusNotAcceptable {
			return nil
		}
		return &Finding{Expected: "an answer as without the Accept header, which admits application/json", Actual: describeStatus(ex)}
	}}
}

// expectJSONWhateverAccepted names an answer of another media type to an Accept that admits no JSON:
// the server followed the header where the contract says to answer JSON or 406.
func expectJSONWhateverAccepted(admitsJSON bool) Check {
	return Check{Req: ReqAccept, Verify: func(ex *Exchange) *Finding {
		if admitsJSON || isJSON(ex.Header.Get("Content-Type")) {
			return nil
		}
		return &Finding{Expected: "JSON whatever the Accept header: as without it, or 406 with the error envelope", Actual: describeStatus(ex)}
	}}
}

func describeInput(in input, req Request) string {
	var parts []string
	if in.param != nil {
		shown := strings.Join(in.value.Raw, ", ")
		if in.value.Wire != "" {
			shown = in.value.Wire
		}
		if len(shown) > 60 {
			shown = fmt.Sprintf("%s... (%d bytes)", shown[:40], len(shown))
		}
		parts = append(parts, fmt.Sprintf("%s %q (%s)", in.param.Name, shown, in.value.Validity))
	}
	accept := "Accept: " + in.accept.accept
	if in.accept.accept == "" {
		accept = "no Accept header"
	}
	parts = append(parts, accept)
	return "generated: " + strings.Join(parts, ", ")
}

// shrink makes the input as small and plain as it can while stillFails says it fails the same way:
// the usual Accept header first, then a plainer spelling and a smaller number, or a shorter and
// plainer string.
func (g *generator) shrink(in input, stillFails func(*Case) bool) *Case {
	best := in
	try := func(candidate input) bool {
		candidate.n = in.n
		if stillFails(g.caseOf(candidate)) {
			best = candidate
			return true
		}
		return false
	}
	if best.accept != defaultAccept {
		next := best
		next.accept = defaultAccept
		try(next)
	}
	if best.param == nil || len(best.value.Raw) != 1 || best.value.Class == "configured" {
		return g.caseOf(best)
	}
	p := best.param
	if p.Schema.Type.Is("integer") {
		if n, canonical := parseInteger(best.value.Raw[0]); n != nil {
			if !canonical {
				try(withValue(best, integerValue(p, n.String())))
			}
			// The number shrinks inside the spelling that fails: "+73421" becomes "+0".
			raw := best.value.Raw[0]
			first, last := strings.IndexAny(raw, "0123456789"), strings.LastIndexAny(raw, "0123456789")
			prefix, suffix := strings.TrimSuffix(raw[:first], "-"), raw[last+1:]
			n, _ = parseInteger(raw)
			g.shrinkInteger(&best, n, func(m *big.Int) string {
				digits := m.String()
				if m.Sign() >= 0 {
					digits = strings.Repeat("0", len(raw[first:last+1])-len(strings.TrimLeft(raw[first:last+1], "0"))) + digits
				}
				return prefix + digits + suffix
			}, try)
			return g.caseOf(best)
		}
	}
	g.shrinkString(&best, try)
	return g.caseOf(best)
}

func withValue(in input, v Value) input {
	in.value = v
	return in
}

// shrinkInteger finds the number closest to the schema's floor (or to zero) that still fails:
// steps doubling up from the floor find a failing number, then halving the gap below it finds the
// boundary, in about twice as many requests as the boundary has bits, wherever the start was.
func (g *generator) shrinkInteger(best *input, n *big.Int, spell func(*big.Int) string, try func(input) bool) {
	at := func(m *big.Int) bool { return try(withValue(*best, integerValue(best.param, spell(m)))) }
	if n.Sign() < 0 {
		at(big.NewInt(-1))
		return
	}
	floor := big.NewInt(0)
	if lo, _ := schemaBounds(best.param.Schema); lo != nil && n.Cmp(lo) >= 0 {
		floor = lo
	}
	if at(floor) {
		return
	}
	lo, hi := new(big.Int).Set(floor), new(big.Int).Set(n)
	for step := big.NewInt(1); ; step.Lsh(step, 1) {
		probe := new(big.Int).Add(floor, step)
		if probe.Cmp(hi) >= 0 {
			break
		}
		if at(probe) {
			hi = probe
			break
		}
		lo = probe
	}
	for new(big.Int).Sub(hi, lo).Cmp(big.NewInt(1)) > 0 {
		mid := new(big.Int).Add(lo, hi)
		mid.Rsh(mid, 1)
		if at(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
}

// shrinkString makes each character a plainer one ("0" for a digit or hex, "a" otherwise), then
// removes chunks of the value, halving their size, keeping every change that still fails. A UUID
// keeps its length: a shorter one is not one, and fails another way.
func (g *generator) shrinkString(best *input, try func(input) bool) {
	uuid := best.param.Schema.Format == "uuid"
	// A shorter path value must still be one segment of the path, or the finding would move to
	// another route.
	if best.param.In == openapi3.ParameterInPath {
		try = func(next func(input) bool) func(input) bool {
			return func(in input) bool { return fillsSegment(in.value.Raw[0]) && next(in) }
		}(try)
	}
	judge := func(raw string) Value {
		if uuid {
			return uuidValue(raw)
		}
		return g.stringValue(best.param, raw)
	}
	runes := []rune(best.value.Raw[0])
	for i := range runes {
		plain := 'a'
		if strings.ContainsRune("0123456789abcdefABCDEF", runes[i]) {
			plain = '0'
		}
		if runes[i] == plain || runes[i] == '-' && uuid {
			continue
		}
		changed := append([]rune{}, runes...)
		changed[i] = plain
		if try(withValue(*best, judge(string(changed)))) {
			runes = changed
		}
	}
	if uuid && spec.IsUUID(best.value.Raw[0]) {
		return
	}
	for size := len([]rune(best.value.Raw[0])) / 2; size >= 1; size /= 2 {
		for start := 0; ; {
			runes := []rune(best.value.Raw[0])
			if start+size > len(runes) {
				break
			}
			if !try(withValue(*best, judge(string(runes[:start])+string(runes[start+size:])))) {
				start += size
			}
		}
	}
}

// invariantOrder ranks the requirements a generated input may miss, the most telling first: a
// server error, a page of another media type, a wrong answer to the input's validity, then what
// every answer must be. A finding is grouped under the first it missed.
var invariantOrder = []*Requirement{
	ReqNoServerError, ReqAccept, ReqOpenInput, ReqLimitInvalid, ReqMalformedIDSafe, ReqUnknownID, ReqOK,
	ReqSameRecord, ReqLimitHonoured, ReqErrorEnvelope, ReqNoErrorIn200, ReqContentType, ReqSpec, ReqTimeOrder,
}

// Invariant is the requirement a failing generated input is grouped under.
func Invariant(missed []string) string {
	for _, r := range invariantOrder {
		for _, id := range missed {
			if id == r.ID {
				return id
			}
		}
	}
	if len(missed) == 0 {
		return ""
	}
	return missed[0]
}

// ExploreSignature is how a generated input failed, for telling findings apart and for shrinking:
// the status class of the answer and the invariant it is grouped under. A server error is one
// finding whatever else the answer missed (the status an input's validity asks for changes as it
// shrinks).
func ExploreSignature(missed []string, status int) string {
	return fmt.Sprintf("%dxx %s", status/100, Invariant(missed))
}

// The results of the generative phase have ids of their own, stable from one run to the next, so
// that an expectations file and a diff between runs can name them: a finding by its invariant and
// the class of its status, an operation whose inputs all held, or that could not run.
func ExploreFindingID(op, invariant string, status int) string {
	return fmt.Sprintf("%s/%s-%dxx/%s", ExploreArea, strings.ToLower(invariant), status/100, op)
}

// ExploreSummaryID is the id of an operation's result when no input failed: "all-held",
// "errors" or "not-run".
func ExploreSummaryID(op, what string) string { return fmt.Sprintf("%s/%s/%s", ExploreArea, what, op) }

// ExploreResultIDs lists every id the generative phase can give a result, for a catalogue.
func ExploreResultIDs(c *spec.Contract) []string {
	var ids []string
	for _, op := range c.Operations {
		if op.Method != http.MethodGet {
			continue
		}
		for _, what := range []string{"all-held", "errors", "not-run"} {
			ids = append(ids, ExploreSummaryID(op.ID, what))
		}
		for _, r := range Requirements() {
			for status := 200; status < 600; status += 100 {
				ids = append(ids, ExploreFindingID(op.ID, r.ID, status))
			}
		}
	}
	return ids
}
