package suites

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/contacts-conformance/suite/spec"
)

// The values the suite sends for a parameter are derived from the parameter's schema, never from
// its name: an integer gets its boundaries, magnitudes past the common integer sizes, the spellings
// some parsers accept and others refuse, and wrong types; a UUID every version and variant, nil and
// max, and near misses; a string long, empty, non-ASCII and percent-encoded values. What each must
// get follows from the document, or, where the contract leaves a spelling's validity open, from a
// decision written beside the value.

// Validity is what the document makes of a value.
type Validity int

const (
	// Valid values are allowed by the parameter's schema.
	Valid Validity = iota
	// Invalid values are not.
	Invalid
	// Open values are ones the contract leaves open (is "+5" a positive integer?): a server may
	// take them as valid or refuse them as invalid, each as documented, never with a 5xx.
	Open
)

func (v Validity) String() string {
	return [...]string{"valid", "invalid", "open"}[v]
}

// Value is one value derived for a parameter.
type Value struct {
	// Class names the kind of value, stably: it is part of the case id ("int32-max", "uuid-v7").
	Class string
	// Title says what the value is, for the case's title.
	Title string
	// Raw is the value, unescaped; the request escapes it for its place. Several values mean the
	// parameter given several times.
	Raw []string
	// Wire, when set, is sent in the query as is, escaped already: "%35" is the digit 5 spelled
	// with a percent-encoding.
	Wire     string
	Validity Validity
	// Why says, for an open value, what the contract leaves open.
	Why string
	// Limit is the integer a value denotes, when it is one that can bound a list, for LIST-001:
	// the largest when the parameter is given several times.
	Limit *big.Int
}

// The decisions where the contract is silent, each written once. They are in docs/choices.md, and each
// open value's case says its own.
const (
	openSpelling  = "a spelling some integer parsers accept and others refuse: the contract allows either a 200 that honours the number or a 400"
	openMagnitude = "beyond the 32-bit integers many servers parse parameters into: the contract allows either a 200 or a 400"
	openTwice     = "the parameter given twice: the contract allows either a 200 honouring one of the values or a 400"
	openVariant   = "a UUID by its layout, of a variant RFC 9562 defines no version for: a server validating versions may refuse it, so 404 or 400"
)

var (
	int32Max   = big.NewInt(math.MaxInt32)
	int64Max   = big.NewInt(math.MaxInt64)
	beyond64   = new(big.Int).Lsh(big.NewInt(1), 64)
	aboveLists = big.NewInt(100000)
)

// integerValues derives the values of an integer parameter from its schema's bounds and format.
// withinBounds reports whether n lies within the integer schema's bounds.
func withinBounds(schema *openapi3.Schema, n *big.Int) bool {
	lo, hi := schemaBounds(schema)
	return (lo == nil || n.Cmp(lo) >= 0) && (hi == nil || n.Cmp(hi) <= 0)
}

// judgeInteger is the validity of a number written canonically: within the bounds it is valid,
// unless past the sizes a server without a declared format may parse it into.
func judgeInteger(schema *openapi3.Schema, n *big.Int) (Validity, string) {
	switch {
	case !withinBounds(schema, n):
		return Invalid, ""
	case schema.Format == "int32" || n.Cmp(int32Max) <= 0:
		return Valid, ""
	case schema.Format == "int64" && n.Cmp(int64Max) <= 0:
		return Valid, ""
	default:
		return Open, openMagnitude
	}
}

func integerValues(schema *openapi3.Schema, maxItems bool) []Value {
	lo, hi := schemaBounds(schema)
	valid := func(n *big.Int) bool { return withinBounds(schema, n) }
	judge := func(n *big.Int) (Validity, string) { return judgeInteger(schema, n) }
	var out []Value
	seen := map[string]bool{}
	// add adds a number written canonically; bounds says whether a list it limits is checked
	// against it, which only bites while the number is smaller than the collections are.
	add := func(class, title string, n *big.Int, bounds bool) {
		raw := n.String()
		if seen[raw] {
			return
		}
		seen[raw] = true
		v, why := judge(n)
		if v == Invalid {
			class = "invalid-" + class
		}
		value := Value{Class: class, Title: title, Raw: []string{raw}, Validity: v, Why: why}
		if bounds {
			value.Limit = n
		}
		out = append(out, value)
	}
	base := big.NewInt(0)
	if lo != nil {
		base = new(big.Int).Set(lo)
	}
	// Small values first: the smallest allowed, and two above it, so that a list's limit is seen to
	// bite (1, 2 and 5 for a positive integer).
	for _, d := range []int64{0, 1, 4} {
		n := new(big.Int).Add(base, big.NewInt(d))
		add(n.String(), fmt.Sprintf("%s=%s", "{name}", n), n, true)
	}
	below := new(big.Int).Sub(base, big.NewInt(1))
	if lo != nil {
		class := "below-minimum"
		if below.Sign() == 0 {
			class = "zero"
		}
		add(class, fmt.Sprintf("{name}=%s, below the minimum", below), below, false)
		if minusOne := big.NewInt(-1); minusOne.Cmp(below) < 0 {
			add("negative", "{name}=-1", minusOne, false)
		}
	}
	if hi != nil {
		above := new(big.Int).Add(hi, big.NewInt(1))
		add("maximum", fmt.Sprintf("{name}=%s, the maximum", hi), hi, false)
		add("above-maximum", fmt.Sprintf("{name}=%s, above the maximum", above), above, false)
	}
	if maxItems {
		add("above-collection", "{name}=100000, more than any fixture holds", aboveLists, false)
	}
	add("int32-max", "{name}=2147483647 (2^31 - 1)", int32Max, false)
	add("int32-overflow", "{name}=2147483648 (2^31)", new(big.Int).Add(int32Max, big.NewInt(1)), false)
	add("int64-max", "{name}=9223372036854775807 (2^63 - 1)", int64Max, false)
	add("beyond-64-bits", "{name}=18446744073709551616 (2^64)", beyond64, false)
	// Other spellings of a small valid number.
	five := new(big.Int).Add(base, big.NewInt(4))
	spell := func(class, title, raw string, n *big.Int) {
		v := Value{Class: class, Title: title, Raw: []string{raw}, Validity: Open, Why: openSpelling, Limit: n}
		if n != nil && !valid(n) {
			v.Validity, v.Why, v.Class = Invalid, "", "invalid-"+class
		}
		out = append(out, v)
	}
	spell("plus-sign", fmt.Sprintf("{name}=+%s, with a plus sign", five), "+"+five.String(), five)
	spell("leading-zeros", fmt.Sprintf("{name}=00%s, with leading zeros", five), "00"+five.String(), five)
	spell("exponent", "{name}=1e2, an exponent", "1e2", nil)
	spell("spaces", fmt.Sprintf("{name}=\" %s \", in spaces", five), " "+five.String()+" ", five)
	spell("decimal-zero", fmt.Sprintf("{name}=%s.0, a zero fraction", five), five.String()+".0", five)
	if valid(five) {
		// A percent-encoded digit is the digit itself once the query is decoded (RFC 3986
		// section 2.3): there is nothing open about it.
		out = append(out, Value{Class: "percent-encoded", Title: fmt.Sprintf("{name}=%s with its digits percent-encoded", five),
			Raw: []string{five.String()}, Wire: percentEncodeAll(five.String()), Validity: Valid, Limit: five})
		two := new(big.Int).Add(base, big.NewInt(1))
		out = append(out, Value{Class: "twice", Title: fmt.Sprintf("{name} given twice (%s, then %s)", two, five),
			Raw: []string{two.String(), five.String()}, Validity: Open, Why: openTwice, Limit: five})
	}
	for _, w := range []struct{ class, raw string }{{"word", "abc"}, {"fraction", "1.5"}, {"empty", ""}, {"boolean", "true"}} {
		out = append(out, Value{Class: "invalid-" + w.class, Title: fmt.Sprintf("{name}=%q", w.raw), Raw: []string{w.raw}, Validity: Invalid})
	}
	return out
}

func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// schemaBounds are the inclusive bounds of an integer schema, nil where it has none. OpenAPI 3.0
// marks a bound exclusive with a boolean beside it.
func schemaBounds(schema *openapi3.Schema) (lo, hi *big.Int) {
	bound := func(v *float64, exclusive openapi3.ExclusiveBound, up bool) *big.Int {
		if v == nil {
			return nil
		}
		rounded := math.Floor(*v)
		if up {
			rounded = math.Ceil(*v)
		}
		n, _ := new(big.Float).SetFloat64(rounded).Int(nil)
		if exclusive.IsTrue() && rounded == *v {
			if up {
				n.Add(n, big.NewInt(1))
			} else {
				n.Sub(n, big.NewInt(1))
			}
		}
		return n
	}
	return bound(schema.Min, schema.ExclusiveMin, true), bound(schema.Max, schema.ExclusiveMax, false)
}

// uuidSource makes UUIDs of every version and variant from the run's seed.
type uuidSource struct{ ids *idSource }

// make is a random UUID with the version nibble and the variant bits set; variant is the bits of
// the top of byte 8 (0b10 for RFC 9562's, 0b0 for NCS, 0b110 for Microsoft, 0b111 reserved).
func (u uuidSource) make(version byte, variant, bits byte) string {
	var b [16]byte
	_, _ = u.ids.rng.Read(b[:])
	b[6] = b[6]&0x0f | version<<4
	shift := 8 - bits
	b[8] = b[8]&(0xff>>bits) | variant<<shift
	return uuid.UUID(b).String()
}

// uuidValues derives the values of a UUID parameter (a path's id): every version and variant, nil
// and max, both cases, and near misses. A well-formed one matches no resource.
func uuidValues(ids *idSource) []Value {
	src := uuidSource{ids}
	valid := func(class, title, id string) Value {
		return Value{Class: class, Title: fmt.Sprintf("%s (%s)", title, id), Raw: []string{id}, Validity: Valid}
	}
	var out []Value
	for i := 1; i <= 3; i++ {
		out = append(out, valid(fmt.Sprintf("random-%d", i), "a random UUID", ids.next()))
	}
	upper := strings.ToUpper(ids.next())
	out = append(out, valid("random-upper-case", "a random UUID in upper case", upper))
	out = append(out, Value{Class: "nil-uuid", Title: "the nil UUID", Raw: []string{uuid.Nil.String()}, Validity: Valid})
	for _, v := range []byte{1, 2, 3, 5, 6, 7, 8} {
		out = append(out, valid(fmt.Sprintf("uuid-v%d", v), fmt.Sprintf("a version-%d UUID", v), src.make(v, 0b10, 2)))
	}
	out = append(out, Value{Class: "max-uuid", Title: "the max UUID", Raw: []string{"ffffffff-ffff-ffff-ffff-ffffffffffff"}, Validity: Valid})
	for _, v := range []struct {
		class, title  string
		variant, bits byte
	}{{"variant-ncs", "an NCS-variant UUID", 0b0, 1}, {"variant-microsoft", "a Microsoft-variant UUID", 0b110, 3}, {"variant-reserved", "a UUID of the reserved variant", 0b111, 3}} {
		id := src.make(4, v.variant, v.bits)
		out = append(out, Value{Class: v.class, Title: fmt.Sprintf("%s (%s)", v.title, id), Raw: []string{id}, Validity: Open, Why: openVariant})
	}
	random := ids.next()
	for _, m := range []struct{ class, title, raw string }{
		{"not-a-uuid", "a word", "not-a-uuid"},
		{"integer", "an integer", "12345"},
		{"uuid-without-hyphens", "a UUID without its hyphens", strings.ReplaceAll(random, "-", "")},
		{"uuid-in-braces", "a UUID in braces", "{" + random + "}"},
		{"uuid-too-short", "a UUID missing its last digit", random[:35]},
		{"uuid-bad-hex", "a UUID with a non-hex digit", "g" + random[1:]},
		{"far-too-long", "a 300-character id", strings.Repeat(strings.ReplaceAll(random, "-", ""), 10)[:300]},
		{"long", "a 2048-character id", strings.Repeat(strings.ReplaceAll(random, "-", ""), 64)},
		{"path-traversal", "a path-traversal string", "../../../etc/passwd"},
		{"sql-injection", "an SQL-injection string", "1' OR '1'='1"},
		{"template-injection", "a template-injection string", "{{7*7}}"},
		{"non-ascii", "a non-ASCII id", "контакт-😀"},
		{"whitespace", "a UUID with surrounding spaces", " " + random + " "},
		{"percent-nul", "a UUID followed by a NUL byte (%00)", random + "\x00"},
		{"percent-slash", "a UUID with an encoded slash inside (%2F)", random[:18] + "/" + random[19:]},
		{"percent-percent", "a UUID followed by a percent sign (%25)", random + "%"},
		{"reserved-characters", "an id of reserved characters", ";,/?:@&=+$!*'()#[]"},
	} {
		out = append(out, Value{Class: m.class, Title: m.title, Raw: []string{m.raw}, Validity: Invalid})
	}
	return out
}

// stringValues derives the values of a string parameter without a format: their validity is the
// schema's verdict (an enum, a length, a pattern).
func stringValues(c *spec.Contract, p *spec.Param) []Value {
	var out []Value
	candidates := []struct{ class, title, raw string }{
		{"simple", "a simple word", "conformance"},
		{"empty", "an empty value", ""},
		{"long", "a 2048-character value", strings.Repeat("x", 2048)},
		{"non-ascii", "a non-ASCII value", "контакт-😀"},
		{"percent-nul", "a NUL byte (%00)", "a\x00b"},
		{"percent-slash", "a slash (%2F)", "a/b"},
		{"percent-percent", "a percent sign (%25)", "100%"},
		{"reserved-characters", "reserved characters", ";,/?:@&=+$!*'()#[]"},
	}
	for _, e := range p.Schema.Enum {
		if s, ok := e.(string); ok {
			candidates = append(candidates, struct{ class, title, raw string }{"enum-" + s, fmt.Sprintf("the enum value %q", s), s})
		}
	}
	for _, cand := range candidates {
		v := Value{Class: cand.class, Title: cand.title, Raw: []string{cand.raw}, Validity: Valid}
		if c.CheckParam(p, cand.raw) != nil {
			v.Validity, v.Class = Invalid, "invalid-"+cand.class
		}
		out = append(out, v)
	}
	return out
}

// deriveValues is every value the suite sends for the parameter, by its schema. A path
// parameter's are only the values that stay one segment of the operation's path.
func deriveValues(c *spec.Contract, p *spec.Param, ids *idSource) []Value {
	values := valuesOfSchema(c, p, ids)
	if p.In != openapi3.ParameterInPath {
		return values
	}
	return slices.DeleteFunc(values, func(v Value) bool { return !fillsSegment(v.Raw[0]) })
}

// fillsSegment reports whether a path parameter's value keeps the request on the operation's
// path: an empty one names the collection instead, and "." and ".." are dot-segments that a
// client, a proxy or the server's router removes (RFC 3986 section 5.2.4), so a verdict on either
// would be about another route.
func fillsSegment(raw string) bool {
	return raw != "" && raw != "." && raw != ".."
}

func valuesOfSchema(c *spec.Contract, p *spec.Param, ids *idSource) []Value {
	switch {
	case p.Schema.Type.Is("integer"):
		return integerValues(p.Schema, p.MaxItems)
	case p.Schema.Type.Is("string") && p.Schema.Format == "uuid":
		return uuidValues(ids)
	case p.Schema.Type.Is("string"):
		return stringValues(c, p)
	}
	return nil
}

// limitOf is the number a value asks a list to be bounded by, for a parameter that bounds one.
func limitOf(v Value) (int, bool) {
	if v.Limit == nil || !v.Limit.IsInt64() || v.Limit.Int64() > math.MaxInt32 {
		return 0, false
	}
	return int(v.Limit.Int64()), true
}
