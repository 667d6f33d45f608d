package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/internal/leak"
)

const (
	secretToken = "tok/en+Value=42~secret"
	hookSecret  = `hook<"s3cr&t">`
)

// secrets are what must never be readable: the token, the token minus its last character (which
// the suites send), and a value given to --redact.
var secrets = []string{secretToken, secretToken[:len(secretToken)-1], hookSecret}

func TestRedactorCoversEverySpelling(t *testing.T) {
	r := NewRedactor(secretToken, hookSecret)
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	tests := []struct{ name, echo string }{
		{"as is", "token=" + secretToken + "."},
		{"minus its last character", "got " + secretToken[:len(secretToken)-1] + "!"},
		{"URL query escaped", "https://x.test/?t=" + url.QueryEscape(secretToken)},
		{"URL path escaped", "/echo/" + url.PathEscape(hookSecret)},
		{"JSON-escaped", `{"h": ` + mustJSON(hookSecret) + `}`},
		{"XML-escaped", `<h v="` + xmlEscape(hookSecret) + `"/>`},
		{"base64 alone", b64(base64.StdEncoding, secretToken)},
		{"base64 of the header", b64(base64.StdEncoding, "Bearer "+secretToken)},
		{"base64 at offset 1", b64(base64.StdEncoding, "x"+secretToken+"yz")},
		{"base64 at offset 2, URL alphabet", b64(base64.URLEncoding, "xy"+secretToken+"z")},
		{"raw base64 of the hook secret", b64(base64.RawURLEncoding, "{"+hookSecret+"}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before []string
			for _, secret := range secrets {
				before = append(before, leak.Find(tt.echo, secret)...)
			}
			require.NotEmpty(t, before, "the test's echo must carry a secret")
			out := r.String(tt.echo)
			assert.Contains(t, out, "[REDACTED]")
			for _, secret := range secrets {
				assert.Empty(t, leak.Find(out, secret), "%q still readable in %q", secret, out)
			}
		})
	}
	assert.Equal(t, "an ordinary sentence about tokens, 2026-01-01", r.String("an ordinary sentence about tokens, 2026-01-01"))
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A secret split across two writes of an encoder is still redacted: Write redacts the whole.
func TestRedactorWriteSeesTheWhole(t *testing.T) {
	r := NewRedactor(secretToken)
	var out bytes.Buffer
	require.NoError(t, r.Write(&out, func(w io.Writer) error {
		half := len(secretToken) / 2
		if _, err := io.WriteString(w, "a "+secretToken[:half]); err != nil {
			return err
		}
		_, err := io.WriteString(w, secretToken[half:]+" b")
		return err
	}))
	assert.Equal(t, "a [REDACTED] b", out.String())
}

// A server that echoes the credentials back, in its body and its headers, in every spelling,
// leaves none of them in the result: not in the response view, the findings, the request view
// or the curl line.
func TestEchoedSecretsNeverReachAResult(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.Header().Set("X-Echo", auth)
		w.Header().Set("X-Echo-Base64", base64.StdEncoding.EncodeToString([]byte(auth)))
		w.Header().Set("X-Hook", hookSecret)
		w.Header().Set("Location", "/login?token="+url.QueryEscape(auth))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusFound)
		_, _ = io.WriteString(w, "you sent "+auth+" and the hook secret "+hookSecret+" (b64 "+base64.URLEncoding.EncodeToString([]byte(auth))+")")
	}))
	defer srv.Close()
	e, _ := f.engine(t, srv.URL, func(o *Options) { o.Token, o.Redact = secretToken, []string{hookSecret} })
	for _, id := range []string{okCase, "auth/token-minus-char/getContactById", "auth/basic-scheme/getContactById"} {
		r := e.Execute(context.Background(), f.caseByID(t, id))
		require.Equal(t, Fail, r.Outcome, id)
		out, err := json.Marshal(r)
		require.NoError(t, err)
		assert.Contains(t, string(out), "[REDACTED]")
		for _, secret := range secrets {
			assert.Empty(t, leak.Find(string(out), secret), "%s: %q readable in %s", id, secret, out)
		}
		assert.Contains(t, r.Curl, `"${CONFORMANCE_TOKEN`)
	}
}

// A server that escapes the solidus in JSON (PHP's default) echoes a token with "/" as "\/".
func TestRedactorCatchesEscapedSolidus(t *testing.T) {
	const token = "abc/def+ghi=jkl0123456789"
	r := NewRedactor(token)
	assert.Equal(t, `{"auth":"Bearer [REDACTED]"}`, r.String(`{"auth":"Bearer abc\/def+ghi=jkl0123456789"}`))
}

// A preview cut (spec.Shorten) in the middle of a secret, before redaction, leaves nothing of its
// start: four bytes or more become the mark, fewer are dropped; a second pass changes nothing, and
// text without a cut mark is never touched.
func TestRedactorAtCuts(t *testing.T) {
	const token = "abc/def+ghi=jkl0123456789"
	r := NewRedactor(token, "zq-webhook")
	tests := []struct{ in, want string }{
		{`body "Unauthorized: Bearer abc/def+ghi=jkl01[…]"`, `body "Unauthorized: Bearer [REDACTED][…]"`},
		{`body "Unauthorized: Bearer abc/[…]"`, `body "Unauthorized: Bearer [REDACTED][…]"`},
		{`body "Unauthorized: Bearer abc[…]"`, `body "Unauthorized: Bearer […]"`},
		{`"access_token=a[…]`, `"access_token=[…]`},
		{`value zq-web[…] and zq[…]`, `value [REDACTED][…] and […]`},
		{`Location "/login?t=abc%2Fdef%2B[…]"`, `Location "/login?t=[REDACTED][…]"`},
		{`already redacted: [REDACTED] and [REDAC[…]`, `already redacted: [REDACTED] and […]`},
		{`[REDACTED][…]`, `[REDACTED][…]`},
		{`ends in no secret (xyz)[…]`, `ends in no secret (xyz)[…]`},
		{`ends in what could start a secret: xyz[…]`, `ends in what could start a secret: xy[…]`},
		{`abc... is not a cut, nor is zq…`, `abc... is not a cut, nor is zq…`},
	}
	for _, tt := range tests {
		got := r.String(tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, got, r.String(got), "a second pass changes nothing")
	}
}

// A secret straddling the cut is redacted whole before the body is cut to the size reports keep.
func TestRedactorCutNeverLeavesTheStartOfASecret(t *testing.T) {
	const token = "abc/def+ghi=jkl0123456789"
	r := NewRedactor(token)
	body := []byte(strings.Repeat("x", 4090) + token + strings.Repeat("y", 10000))
	shown, cut := r.Cut(body, 4096)
	assert.True(t, cut)
	assert.Empty(t, strings.Trim(shown, "x"), "neither the secret's start nor a cut mark is left: %q", shown[len(shown)-20:])
	assert.Greater(t, len(shown), 4000, "only the tail that could hide a secret goes")
	shown, cut = r.Cut([]byte("short "+token), 4096)
	assert.False(t, cut)
	assert.Equal(t, "short [REDACTED]", shown)
}

// Many echoes in the window shrink it below n once redacted; a secret straddling the window's end,
// wherever that end falls, must not show its start then.
func TestRedactorCutWithManyEchoesBeforeTheCut(t *testing.T) {
	const token = "SuperSecretToken-0123456789"
	r := NewRedactor(token)
	echoes := strings.Repeat(token, 60)
	for at := 4000; at < 4300; at++ {
		body := []byte(echoes + strings.Repeat("z", at-len(echoes)) + token + strings.Repeat("z", 5000))
		shown, _ := r.Cut(body, 4096)
		require.NotContains(t, shown, "Supe", "a secret at offset %d", at)
	}
}

// A cut never ends in half a UTF-8 character.
func TestRedactorCutEndsOnACharacter(t *testing.T) {
	r := NewRedactor("a-token-of-no-interest")
	shown, cut := r.Cut([]byte(strings.Repeat("é", 3000)), 4097)
	assert.True(t, cut)
	assert.True(t, utf8.ValidString(shown))
	assert.Equal(t, strings.Repeat("é", 2048), shown)
}

// A secret spelled a character at a time, as encoders and pages mix their escapes, is redacted
// whatever the mixture and the case of the hex digits.
func TestRedactorFindsSecretsSpelledCharacterByCharacter(t *testing.T) {
	const secret = "Sec+ret/Tok=en123"
	r := NewRedactor(secret)
	var unicode, decimal, hexRefs, mixed strings.Builder
	for i, c := range secret {
		fmt.Fprintf(&unicode, `\u%04x`, c)
		fmt.Fprintf(&decimal, "&#%d;", c)
		fmt.Fprintf(&hexRefs, "&#X%X;", c)
		switch i % 4 {
		case 0:
			fmt.Fprintf(&mixed, `\u%04X`, c)
		case 1:
			fmt.Fprintf(&mixed, "%%%02x", c)
		case 2:
			fmt.Fprintf(&mixed, "&#x%02x;", c)
		default:
			mixed.WriteRune(c)
		}
	}
	for name, spelled := range map[string]string{"\\u": unicode.String(), "decimal": decimal.String(), "hex": hexRefs.String(), "mixed": mixed.String()} {
		got := r.String(`{"x":"` + spelled + `"}`)
		assert.Equal(t, `{"x":"[REDACTED]"}`, got, name)
	}
	assert.Equal(t, `plain \u0041 &#66; 100% ordinary`, r.String(`plain \u0041 &#66; 100% ordinary`), "escapes that spell no secret are left alone")
}

// A fragment of a secret standing alone, a prefix or a suffix of 4 bytes or more, is redacted;
// inside a longer word, or shorter, it is left alone; a second pass changes nothing.
func TestRedactorRedactsFragmentsStandingAlone(t *testing.T) {
	const token = "tok-SECRET-9f8e7d6c5b4a"
	r := NewRedactor(token, "sk_test_51HxYzAbCdEf1234", "abcd-efgh-1234", "ab12cd-Zq9x7w8")
	tests := []struct{ name, in, want string }{
		{"a masked prefix", `{"message":"invalid token tok-SE..."}`, `{"message":"invalid token [REDACTED]..."}`},
		{"a suffix", "the token ending 6c5b4a is unknown", "the token ending [REDACTED] is unknown"},
		{"split in two strings", `["tok-SECRET-","9f8e7d6c5b4a"]`, `["[REDACTED]","[REDACTED]"]`},
		{"a prefix and the last four", "key sk_test_****1234 rejected", "key [REDACTED]****[REDACTED] rejected"},
		{"a prefix and a suffix of two secrets", "got tok-SECRET-5b4a", "got [REDACTED]-[REDACTED]"},
		{"a prefix and a suffix of one secret, apart", "got ab12cd-q9x7w8", "got [REDACTED]-[REDACTED]"},
		{"the last four behind bullets, JSON-escaped", `"sk_test_\\u2022\\u2022\\u20221234"`, `"[REDACTED]\\u2022\\u2022\\u2022[REDACTED]"`},
		{"the last four behind bullets", "sk_test_••••1234", "[REDACTED]••••[REDACTED]"},
		{"the last four behind a mask of x", "XXXXXXXXXXXX1234 and xxxx1234", "XXXXXXXXXXXX[REDACTED] and xxxx[REDACTED]"},
		{"the last four behind percent-encoded stars", "sk_test_%2A%2A%2A1234", "[REDACTED]%2A%2A%2A[REDACTED]"},
		{"four bytes with no mask beside them", "limit 1234 and id 5b4a-77", "limit 1234 and id 5b4a-77"},
		{"glued to the scheme", `"Bearertok-SECR"`, `"Bearer[REDACTED]"`},
		{"the end of the token the suite sends with an x appended", `"f8e7d6c5b4ax"`, `"[REDACTED]"`},
		{"shorter than 4 bytes", "tok... 4a", "tok... 4a"},
		{"inside a longer word", "abcdefgh, xabcd-e, 1234567", "abcdefgh, xabcd-e, 1234567"},
		{"a prefix that is only punctuation", "a----b", "a----b"},
		{"the mark itself", "[REDACTED] REDACTED", "[REDACTED] REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.String(tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, r.String(got), "a second pass changes nothing")
		})
	}
}

// The case variants of a secret are redacted only whole, and the mark never makes a fragment: a
// secret ending in REDACTED, or in upper case, leaves the mark and ordinary words alone.
func TestRedactorFragmentsOfVariantsAndTheMark(t *testing.T) {
	r := NewRedactor("x-REDACTED", "----PEM-armour----")
	for _, text := range []string{"[REDACTED]", "a [REDACTED] b [REDACTED]", "| ---- | ----- |"} {
		assert.Equal(t, text, r.String(text))
	}
	r = NewRedactor("Upper-Lower-Case")
	assert.Equal(t, "upper-lower: [REDACTED]", r.String("upper-lower: upper-lower-case"), "whole, the variant is redacted")
	assert.Equal(t, "upper-lower and UPPER", r.String("upper-lower and UPPER"), "its fragments are not")
}

// The tokens the tests and make run use, Reference-Token (the reference server's), token-0123 and
// a-rotated-token, leave the suite's own text as it is: the word token and the Token scheme.
func TestRedactorFragmentsLeaveTheSuiteTextAlone(t *testing.T) {
	for _, token := range []string{"Reference-Token", "token-0123", "a-rotated-token"} {
		r := NewRedactor(token)
		for _, text := range []string{
			"PASS  auth/token-scheme/getContactById  the right token under the Token scheme is rejected with 401",
			`reproduce: curl -sS -i 'http://127.0.0.1:1/contact/x' -H 'Authorization: Token '"${CONFORMANCE_TOKEN}"`,
			`{"Authorization": "Token ${CONFORMANCE_TOKEN}"}`,
			"runner: give one of --token and --token-command; the deadline passed (the token was not sent)",
			"the reference server's token; tokens, token-like references and a Tokenizer",
		} {
			assert.Equal(t, text, r.String(text), token)
		}
	}
	r := NewRedactor("Reference-Token")
	assert.Equal(t, `"[REDACTED]..." and "...[REDACTED]"`, r.String(`"Refer..." and "...e-Token"`), "a fragment a server shows still goes")
}

// Whatever the mask a server hides the rest of a token with, what it shows of the token goes.
func TestRedactorFragmentsBesideAnyMask(t *testing.T) {
	r := NewRedactor("sk_live_51HqLyjWDarjtT1zdp7dc4eC39")
	for _, masked := range []string{"●●●●4eC39", "····4eC39", "----4eC39", "~~~~4eC39", "&#x2022;4eC39", "%E2%80%A24eC39", "<hidden>4eC39", "sk_li●●●●", "sk_li&bull;&bull;", "xxxxeC39"} {
		got := r.String(`{"message":"bad key ` + masked + `"}`)
		assert.NotContains(t, got, "eC39", masked)
		assert.NotContains(t, got, "sk_li", masked)
		assert.Contains(t, got, "[REDACTED]", masked)
	}
}

// A tail of letters whose case changes, and a prefix spelled with escaped solidi, go too.
func TestRedactorFragmentsOfLettersAndEscapedSpellings(t *testing.T) {
	r := NewRedactor("sk_live_51HqLyjWDarjtT1zdp7dc4CkQwErTyZ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	for _, echo := range []string{"sk_live_**QwErTyZ", "<hidden>QwErTyZ", "key ending in QwErTyZ", "**ErTyZ", `wJalrXUtnFEMI\/K7MDENG\/bP****`, "wJalrXUtnFEMI%2FK7MDENG%2FbP****"} {
		got := r.String(`{"message":"` + echo + `"}`)
		for _, shown := range []string{"ErTyZ", "K7MDENG", "bP*"} {
			assert.NotContains(t, got, shown, echo)
		}
	}
}

// Fragments of a secret found in the base URL are the suite's own text: a secret webhook URL on
// the API's host leaves the target and every curl line whole.
func TestRedactorLeavesTheBaseURLWhole(t *testing.T) {
	r := NewRedactor("tok-SECRET-9f8e7d6c5b4a", "http://127.0.0.1:23977/hooks/inbound?sig=9f8e7d6c5b4a3210")
	r.AddPublic("http://127.0.0.1:23977/v1")
	for _, text := range []string{"target http://127.0.0.1:23977/v1, seed 42", `curl -sS -i 'http://127.0.0.1:23977/v1/contact/6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40'`} {
		assert.Equal(t, text, r.String(text))
	}
	assert.Equal(t, "sent to [REDACTED]", r.String("sent to http://127.0.0.1:23977/hooks/inbound?sig=9f8e7d6c5b4a3210"), "the secret itself still goes")
}

// Fragments that are ordinary words and numbers of the reports are left alone: a secret URL's
// scheme, a token's first word, a year, a group of an id. Each shows nowhere in the suite's text
// as a fragment of the secret, only by chance.
func TestRedactorFragmentsLeaveOrdinaryTextAlone(t *testing.T) {
	for _, tt := range []struct{ secret, text string }{
		{"https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXX", `curl -sS -i 'https://127.0.0.1:8443/v1/contact/6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40'`},
		{"contact-7f3a9b2c1d", "GET /contact/6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40 was answered 200 OK"},
		{"ci-token-2025", `"created_at": "2025-03-14T09:26:53Z"`},
		{"8d2e9a7f1b3c4c55", "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40"},
		{"4403e1a7b9c2d8f0a6b5", `"list_id": 4403, "name": "Spring"`},
		{"conformance-ci-9f8e7d6c5b4a", `User-Agent: contacts-conformance/0.2.0, classname="conformance.auth", --data-raw '{"conformance-suite": "not json'`},
		{"Authorization: Bearer s3cr3t-abcdef", `curl -H 'Authorization: Bearer '"${CONFORMANCE_TOKEN}"`},
		{"https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXX", `"webhook_url": "https://hooks.example.com/flows/inbound/7"`},
	} {
		r := NewRedactor(tt.secret)
		assert.Equal(t, tt.text, r.String(tt.text), tt.secret)
	}
}

// A signing key is redacted whole in every spelling, but the start every key of its kind shares
// (the PEM armour, the PKCS#8 header in hex) is no fragment of it: a contact id holding "302e"
// stays whole in a signed report.
func TestRedactorKeysAreRedactedWhole(t *testing.T) {
	const pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBm2v3wE7yTnQ0xQk5bq1M0kNwLxk3V0k2fL3T0y5pZg\n-----END PRIVATE KEY-----"
	const der = "302e020100300506032b6570042204201"
	r := NewRedactor("tok-SECRET-9f8e7d6c5b4a")
	r.AddWhole(pem, der)
	assert.Equal(t, "key [REDACTED] and [REDACTED]", r.String("key "+pem+" and "+der))
	text := "contact 6f1c2a4e-302e-4c55-9e0a-2f7d9b1c3e40, -----BEGIN CERTIFICATE-----"
	assert.Equal(t, text, r.String(text))
}
