package spec

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seeds beyond testdata/fuzz: every hostile body the engine's table sends.
var hostileBodies = []string{
	"",
	"   ",
	"null",
	`{"status":"ok","message":"","data":{}}`,
	`{"status":"error","message":"nope","data":null}`,
	`{"status": "ok", "data": `,
	"{\"status\":\"ok\",\"message\":\"caf\xe9\",\"data\":{}}",
	"\xef\xbb\xbf{\"status\":\"ok\"}",
	`{"a":1}{"b":2}`,
	`{"n":1e999}`,
	strings.Repeat("[", 65) + strings.Repeat("]", 65),
	strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64),
	`["[[[[", "\"[[[[[[["]`,
}

// DecodeJSON accepts exactly the bodies that are one JSON value in UTF-8 and nest no deeper than
// MaxJSONDepth, and explains every refusal in one line.
func FuzzDecodeJSON(f *testing.F) {
	for _, b := range hostileBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := DecodeJSON(body)
		acceptable := json.Valid(body) && utf8.Valid(body) && !tooDeep(body, MaxJSONDepth)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "one line")
			// encoding/json accepts numbers no float64 holds as valid syntax, then cannot decode them.
			if acceptable && !strings.Contains(err.Error(), "cannot unmarshal number") {
				t.Fatalf("a valid body was refused: %v", err)
			}
			return
		}
		require.True(t, acceptable, "accepted %q", body)
		_, err = json.Marshal(v)
		require.NoError(t, err, "what is decoded encodes again")
	})
}

func TestDecodeJSONRefusesHostileBodies(t *testing.T) {
	tests := []struct{ body, want string }{
		{strings.Repeat("[", 65) + strings.Repeat("]", 65), "the body nests JSON more than 64 levels deep; the suite does not decode it further"},
		{"{\"m\":\"\xff\"}", "the body is not valid UTF-8 (first invalid byte at offset 6); JSON text must be UTF-8 (RFC 8259 section 8.1)"},
		{`{"a":1}{"b":2}`, `the body is not JSON: more follows its first value, which ends at byte 7 (starts with "{\"a\":1}{\"b\":2}")`},
		{"\ufeff{\"a\":1}", `the body is not JSON: it starts with a byte-order mark (U+FEFF), which JSON text must not (RFC 8259 section 8.1) (starts with "\ufeff{\"a\":1}")`},
	}
	for _, tt := range tests {
		_, err := DecodeJSON([]byte(tt.body))
		assert.EqualError(t, err, tt.want)
	}
	// Brackets inside strings are text, not depth.
	_, err := DecodeJSON([]byte(`["` + strings.Repeat("[", 100) + `\"` + strings.Repeat("{", 100) + `"]`))
	assert.NoError(t, err)
	_, err = DecodeJSON([]byte(strings.Repeat("[", 64) + strings.Repeat("]", 64)))
	assert.NoError(t, err, "64 levels are allowed")
}

// ValidateResponse survives any answer to any operation: no panic, every violation a message, the
// pointer a JSON pointer, and the same verdict twice.
func FuzzValidateResponse(f *testing.F) {
	c, err := Load()
	require.NoError(f, err)
	for i, b := range hostileBodies {
		f.Add(uint8(i), uint16(200), "application/json", []byte(b), "X-Any", "value")
	}
	f.Add(uint8(0), uint16(401), "application/json; charset=utf-8", []byte(`{"status":"error","message":"no","data":null}`), "WWW-Authenticate", "Bearer")
	f.Add(uint8(1), uint16(302), "text/html", []byte("<a href=/x>moved</a>"), "Location", "https://elsewhere.test/")
	f.Add(uint8(2), uint16(999), "", []byte{}, "", "")
	f.Fuzz(func(t *testing.T, opIndex uint8, status uint16, contentType string, body []byte, headerName, headerValue string) {
		op := c.Operations[int(opIndex)%len(c.Operations)]
		req, err := http.NewRequest(op.Method, "http://127.0.0.1/"+strings.TrimPrefix(op.Path, "/"), nil)
		require.NoError(t, err)
		header := http.Header{"Content-Type": {contentType}}
		header[http.CanonicalHeaderKey(headerName)] = append(header[http.CanonicalHeaderKey(headerName)], headerValue)
		first := c.ValidateResponse(op, req, int(status), header, body)
		for _, v := range first {
			assert.NotEmpty(t, v.Message)
			assert.True(t, v.Pointer == "" || strings.HasPrefix(v.Pointer, "/"), "pointer %q", v.Pointer)
		}
		assert.Equal(t, first, c.ValidateResponse(op, req, int(status), header, body), "the verdict is deterministic")
		if int(status) == http.StatusOK && contentType == "application/json" {
			if _, err := DecodeJSON(body); err != nil {
				assert.NotEmpty(t, first, "a 200 whose body cannot be decoded is a violation")
			}
		}
	})
}
