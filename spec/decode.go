package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// MaxJSONDepth is how deeply nested a body may be. The contract's deepest documented value is
// five levels down (a webhook flow's step's headers); free-form objects get room to spare, and a
// hostile body nested a million deep is refused in one pass before anything recurses over it.
const MaxJSONDepth = 64

// DecodeJSON decodes a body the way the validator sees it, with one clear error for everything
// that is not a single JSON value in UTF-8. The values are those encoding/json gives an `any`:
// maps, slices, float64, string, bool and nil.
func DecodeJSON(body []byte) (any, error) {
	value, _, err := DecodeJSONNames(body)
	return value, err
}

// RepeatedName is a name an object of a body gives twice: the object's JSON pointer ("" for the
// body itself) and the name. RFC 8259 section 4 leaves what a client makes of it open: most keep
// the last value, some the first, some refuse the body, so two clients read two answers.
type RepeatedName struct {
	Pointer string
	Name    string
}

// Violation says it as a break of the document: the schema describes one value per name.
func (r *RepeatedName) Violation() Violation {
	where := "the object"
	if r.Pointer == "" {
		where = "the body's object"
	}
	return Violation{Pointer: r.Pointer, Message: fmt.Sprintf("the key %s appears twice in %s: a client may read either value (RFC 8259 section 4)", strconv.Quote(Shorten(r.Name, 80)), where)}
}

// DecodeJSONNames is DecodeJSON that also names the first object name the body repeats, nil when
// none does. Telling costs the fast parser one comparison per object; only a body that repeats
// one is walked again, to find where.
func DecodeJSONNames(body []byte) (any, *RepeatedName, error) {
	value, repeated, err := decodeJSON(body)
	if err != nil || !repeated {
		return value, nil, err
	}
	return value, repeatedName(body), nil
}

// decodeJSON decodes the body and says whether some object repeats a name.
func decodeJSON(body []byte) (any, bool, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, errors.New("the body is empty; a JSON envelope is required")
	}
	if !utf8.Valid(body) {
		return nil, false, fmt.Errorf("the body is not valid UTF-8 (first invalid byte at offset %d); JSON text must be UTF-8 (RFC 8259 section 8.1)", invalidUTF8(body))
	}
	// A list of 10,000 campaigns costs encoding/json about as much as its whole validation, so
	// a well-formed body goes through a parser built for this one shape of result. Whatever it
	// does not accept goes to encoding/json, whose verdict and message stand: the fast parser
	// can make a body cheaper, never change what it decodes to or whether it is refused. It
	// gives up beyond MaxJSONDepth, so the depth is measured only for what it did not accept.
	p := parser{data: body}
	if value, ok := p.document(); ok {
		return value, p.repeated, nil
	}
	if tooDeep(body, MaxJSONDepth) {
		return nil, false, fmt.Errorf("the body nests JSON more than %d levels deep; the suite does not decode it further", MaxJSONDepth)
	}
	value, err := decodeStandard(body)
	// encoding/json says nothing of repeated names: whatever it decodes is walked for them.
	return value, err == nil, err
}

// repeatedName walks a body already decoded for the first name an object repeats, in document
// order.
func repeatedName(body []byte) *RepeatedName {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	r, _ := repeatedIn(dec, nil)
	return r
}

func repeatedIn(dec *json.Decoder, path []string) (*RepeatedName, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return nil, err
			}
			name, _ := t.(string)
			if seen[name] {
				return &RepeatedName{Pointer: pointer(path), Name: name}, nil
			}
			seen[name] = true
			if r, err := repeatedIn(dec, append(path[:len(path):len(path)], name)); r != nil || err != nil {
				return r, err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if r, err := repeatedIn(dec, append(path[:len(path):len(path)], strconv.Itoa(i))); r != nil || err != nil {
				return r, err
			}
		}
	default:
		return nil, nil
	}
	_, err = dec.Token() // the closing delimiter
	return nil, err
}

// ByteOrderMark is U+FEFF in UTF-8, which JSON text sent over a network must not start with
// (RFC 8259 section 8.1), and which some servers put before it all the same.
var ByteOrderMark = []byte("\xef\xbb\xbf")

func decodeStandard(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var value any
	if err := dec.Decode(&value); err != nil {
		if bytes.HasPrefix(body, ByteOrderMark) {
			return nil, fmt.Errorf("the body is not JSON: it starts with a byte-order mark (U+FEFF), which JSON text must not (RFC 8259 section 8.1) (starts with %q)", preview(body))
		}
		return nil, fmt.Errorf("the body is not JSON: %v (starts with %q)", err, preview(body))
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("the body is not JSON: more follows its first value, which ends at byte %d (starts with %q)", end, preview(body))
	}
	return value, nil
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// tooDeep reports whether arrays and objects nest more than limit deep, brackets inside strings
// not counted. It does not validate: a body it passes is still decoded.
func tooDeep(b []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

func preview(b []byte) string { return Shorten(string(b), 40) }

// maxDepth bounds the fast parser's recursion at the depth DecodeJSON accepts at all.
const maxDepth = MaxJSONDepth

// parser decodes one JSON document (RFC 8259). It reports only whether it succeeded: on any
// doubt it gives up and the caller asks encoding/json.
type parser struct {
	data  []byte
	pos   int
	depth int
	// text is data as one string, made once: plain strings are slices of it, so that decoding
	// a list costs no allocation per string.
	text string
	// members and items are stacks shared by every level of nesting, so that each map and
	// slice is allocated once, at its final size.
	members []member
	items   []any
	// repeated is set when an object gives a name twice.
	repeated bool
}

type member struct {
	key   string
	value any
}

func (p *parser) document() (any, bool) {
	v, ok := p.value()
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return v, p.pos == len(p.data)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, bool) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, ok := p.string()
		return s, ok
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *parser) literal(word string) bool {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return false
	}
	p.pos += len(word)
	return true
}

func (p *parser) object() (any, bool) {
	base := len(p.members)
	ok := p.sequence('}', func() bool {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return false
		}
		key, ok := p.string()
		if !ok {
			return false
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return false
		}
		p.pos++
		v, ok := p.value()
		p.members = append(p.members, member{key, v})
		return ok
	})
	if !ok {
		return nil, false
	}
	members := p.members[base:]
	m := make(map[string]any, len(members))
	// In document order, so that a repeated key keeps its last value, as with encoding/json.
	for _, kv := range members {
		m[kv.key] = kv.value
	}
	if len(m) < len(members) {
		p.repeated = true
	}
	clear(members) // the stack must not keep the values alive after the document is returned
	p.members = p.members[:base]
	return m, true
}

func (p *parser) array() (any, bool) {
	base := len(p.items)
	ok := p.sequence(']', func() bool {
		v, ok := p.value()
		p.items = append(p.items, v)
		return ok
	})
	if !ok {
		return nil, false
	}
	items := make([]any, len(p.items)-base)
	copy(items, p.items[base:])
	clear(p.items[base:])
	p.items = p.items[:base]
	return items, true
}

// sequence parses the comma-separated elements of an object or an array, from its opening byte
// to end; element parses one, from its first byte.
func (p *parser) sequence(end byte, element func() bool) bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	p.pos++ // the opening byte
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == end {
		p.pos++
		p.depth--
		return true
	}
	for {
		p.skipSpace()
		if !element() {
			return false
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return false
		}
		switch p.data[p.pos] {
		case end:
			p.pos++
			p.depth--
			return true
		case ',':
			p.pos++
		default:
			return false
		}
	}
}

// string decodes the string starting at p.pos. Plain strings (no escape, valid UTF-8, the
// overwhelming case) are slices of text, which they keep alive as long as the decoded value
// lives; the others are unquoted by encoding/json itself, so that escapes and invalid bytes come
// out exactly as it decodes them.
func (p *parser) string() (string, bool) {
	start := p.pos
	p.pos++ // "
	plain, ascii := true, true
	for {
		if p.pos >= len(p.data) {
			return "", false
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if plain && (ascii || utf8.Valid(p.data[start+1:p.pos-1])) {
				if p.text == "" {
					p.text = string(p.data)
				}
				return p.text[start+1 : p.pos-1], true
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.pos], &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			p.pos += 2 // the escaped byte cannot end the string; \uXXXX's digits are checked above
		case c < 0x20:
			return "", false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			p.pos++
		}
	}
}

// number decodes a number with the grammar of RFC 8259 section 6, as a float64 the way
// encoding/json does (strconv.ParseFloat); a number out of float64's range is left to
// encoding/json to refuse.
func (p *parser) number() (any, bool) {
	start := p.pos
	neg := p.data[p.pos] == '-'
	if neg {
		p.pos++
	}
	intStart := p.pos
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case p.pos < len(p.data) && '1' <= p.data[p.pos] && p.data[p.pos] <= '9':
		p.digits()
	default:
		return nil, false
	}
	intEnd := p.pos
	integer := true
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return nil, false
		}
		integer = false
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return nil, false
		}
		integer = false
	}
	// Integers of up to 15 digits are exact in a float64, so they need no parsing.
	if integer && intEnd-intStart <= 15 {
		var n int64
		for _, c := range p.data[intStart:intEnd] {
			n = n*10 + int64(c-'0')
		}
		f := float64(n)
		if neg {
			f = -f // -0 stays negative zero, as strconv gives it
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(p.data[start:p.pos]), 64)
	return f, err == nil
}

func (p *parser) digits() int {
	start := p.pos
	for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos - start
}
