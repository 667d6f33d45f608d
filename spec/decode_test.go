package spec

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeInputs covers the grammar of RFC 8259 and the corners where a hand-written parser goes
// wrong: escapes, invalid UTF-8, number forms, nesting, trailing data.
var decodeInputs = []string{
	`{"status":"ok","message":"","data":{"id":"6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40","n":[1,-2,3.5,-0,0,1e3,2E-2,-1.25e+2]}}`,
	` [ ] `, `{}`, `[{}]`, `[[[]],{"a":{}}]`, `null`, `true`, `false`, `"x"`, `0`, `-0`, `12`, "\t\r\n 7 \n",
	`123456789012345`, `1234567890123456`, `12345678901234567890123`, `-9007199254740993`, `0.1`, `1e308`, `5e-324`,
	`"\u00e9\ud83d\ude00 \" \\ \/ \b \f \n \r \t"`, `"\ud800"`, `"\u0000"`, `{"a\u0062c":1}`, `"é 😀 中"`,
	"\"\xff\xfe\"", "\"a\xc3\"", "{\"\xff\":1}",
	`{"a":1,"a":2}`, `{"a":{"b":[1,{"c":null}]}}`,
	strings.Repeat("[", MaxJSONDepth) + strings.Repeat("]", MaxJSONDepth),
	// Not JSON: each must be refused with encoding/json's own message.
	`{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`, `0x10`,
	`tru`, `nul`, `truex`, `"abc`, `"a\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"", `{"a":1}x`, `{} {}`, `[] ]`,
	`1e400`, `-1e400`, "\xef\xbb\xbf{}", `NaN`, `Infinity`, `[1,2`, `{"a":[}`, `'a'`,
}

// DecodeJSON must decode every body exactly as encoding/json does, and refuse exactly what it
// refuses, with its message; it refuses more only for invalid UTF-8, which encoding/json silently
// replaces.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range decodeInputs {
		got, gotErr := DecodeJSON([]byte(in))
		if !utf8.ValidString(in) {
			require.Error(t, gotErr, "%q", in)
			assert.Contains(t, gotErr.Error(), "not valid UTF-8")
			continue
		}
		want, wantErr := decodeStandard([]byte(in))
		if wantErr != nil {
			require.Error(t, gotErr, "%q", in)
			assert.Equal(t, wantErr.Error(), gotErr.Error(), "%q", in)
			continue
		}
		require.NoError(t, gotErr, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
}

// The fast parser serves every well-formed body itself; encoding/json only sees what it refuses.
func TestFastParserDecodesWellFormedBodies(t *testing.T) {
	for _, in := range decodeInputs {
		if _, err := decodeStandard([]byte(in)); err != nil || !utf8.ValidString(in) {
			continue
		}
		p := parser{data: []byte(in)}
		_, ok := p.document()
		assert.True(t, ok, "%q was left to encoding/json", in)
	}
}

func TestDecodeJSONKeepsNegativeZeroAndLargeIntegers(t *testing.T) {
	v, err := DecodeJSON([]byte(`[-0, 9007199254740993, 123456789012345]`))
	require.NoError(t, err)
	list := v.([]any)
	assert.True(t, math.Signbit(list[0].(float64)), "-0 keeps its sign, as with encoding/json")
	assert.Equal(t, float64(9007199254740993), list[1])
	assert.Equal(t, float64(123456789012345), list[2])
}

// Nesting beyond the fast parser's bound is refused before it recurses, not a stack overflow.
func TestDecodeJSONRefusesHostileNesting(t *testing.T) {
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	_, err := DecodeJSON([]byte(deep))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 64 levels deep")
}

// The fast parser decodes exactly what encoding/json decodes, to the same values.
func FuzzFastParserMatchesEncodingJSON(f *testing.F) {
	for _, in := range decodeInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := parser{data: body}
		got, ok := p.document()
		want, err := decodeStandard(body)
		if ok {
			require.NoError(t, err, "the fast parser accepted %q, which encoding/json refuses", body)
			require.Equal(t, want, got, "%q", body)
		}
	})
}

// A name an object gives twice is named with the object's pointer, the first in document order;
// the value decoded is encoding/json's all the same, the last one.
func TestRepeatedNamesAreNamedWithTheirObject(t *testing.T) {
	for body, want := range map[string]*RepeatedName{
		`{"status":"ok","message":"","data":null,"status":"error"}`:    {Pointer: "", Name: "status"},
		`{"data":{"id":"a","name":"x","id":"b"}}`:                      {Pointer: "/data", Name: "id"},
		`{"data":[{"a":1},{"a":1,"b":{"c":[2,{"d":1,"d":2}]},"a":3}]}`: {Pointer: "/data/1/b/c/1", Name: "d"},
		`{"a/b":{"x~y":{"k":1,"k":1}}}`:                                {Pointer: "/a~1b/x~0y", Name: "k"},
		`{"a\u0062":1,"ab":2}`:                                         {Pointer: "", Name: "ab"},
		`{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":1}]}`:              nil,
		`[1,"a",{"x":[]},null]`:                                        nil,
	} {
		value, got, err := DecodeJSONNames([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, got, body)
		standard, err := decodeStandard([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, standard, value, "decoded as encoding/json does: %s", body)
	}
	v := (&RepeatedName{Pointer: "", Name: "status"}).Violation()
	assert.Equal(t, `the key "status" appears twice in the body's object: a client may read either value (RFC 8259 section 4)`, v.String())
	v = (&RepeatedName{Pointer: "/data", Name: "id"}).Violation()
	assert.Equal(t, `/data: the key "id" appears twice in the object: a client may read either value (RFC 8259 section 4)`, v.String())
}
