package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Result is the record of one case, ready for any report: every string in it is redacted.
type Result struct {
	ID        string        `json:"id"`
	Area      string        `json:"area"`
	Title     string        `json:"title"`
	Operation string        `json:"operation"`
	Outcome   Outcome       `json:"outcome"`
	Reason    string        `json:"reason,omitempty"`
	Findings  []Finding     `json:"findings,omitempty"`
	Request   *RequestView  `json:"request,omitempty"`
	Response  *ResponseView `json:"response,omitempty"`
	Curl      string        `json:"curl,omitempty"`
	// Retries counts the 429 answers the case was retried after; Notes say so in words.
	Retries  int           `json:"retries_after_429,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration_ns"`
}

// Finding is a missed requirement with what was expected and what came back.
type Finding struct {
	RequirementID string       `json:"requirement"`
	Level         suites.Level `json:"level"`
	Requirement   string       `json:"text"`
	Anchor        string       `json:"anchor"`
	Expected      string       `json:"expected"`
	Actual        string       `json:"actual"`
	Details       []string     `json:"details,omitempty"`
}

// RequestView is the request as it may be shown: the credential spelled as a shell variable.
type RequestView struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// ResponseView is the answer as it may be shown: redacted, the body cut to a readable size.
type ResponseView struct {
	Status        int               `json:"status"`
	Headers       map[string]string `json:"headers"`
	Body          string            `json:"body"`
	BodyTruncated bool              `json:"body_truncated,omitempty"`
	BodyBytes     int               `json:"body_bytes"`
}

// shownBody is how much of a body a report keeps: enough to see what is wrong.
const shownBody = 4096

func (e *Engine) findingView(req *suites.Requirement, f *suites.Finding) Finding {
	details := make([]string, len(f.Details))
	for i, d := range f.Details {
		details[i] = e.redactor.String(d)
	}
	return Finding{
		RequirementID: req.ID, Level: req.Level, Requirement: req.Text, Anchor: req.Anchor,
		Expected: e.redactor.String(f.Expected), Actual: e.redactor.String(f.Actual), Details: details,
	}
}

func (e *Engine) requestView(c *suites.Case, req *http.Request) *RequestView {
	v := &RequestView{Method: req.Method, URL: e.redactor.String(req.URL.String()), Headers: map[string]string{}, Body: c.Request.Body}
	for k := range req.Header {
		v.Headers[k] = e.redactor.String(req.Header.Get(k))
	}
	if shown, ok := c.Request.Auth.Display(); ok {
		v.Headers["Authorization"] = shown
	}
	return v
}

func (e *Engine) responseView(ex *suites.Exchange) *ResponseView {
	body, cut := e.redactor.Cut(ex.Body, shownBody)
	v := &ResponseView{Status: ex.Status, Headers: map[string]string{}, Body: body, BodyTruncated: cut, BodyBytes: len(ex.Body)}
	for k, vs := range ex.Header {
		v.Headers[k] = e.redactor.String(strings.Join(vs, ", "))
	}
	return v
}

// curl builds a command that sends the same request; the credential is read from the
// environment, so the line can be pasted into a ticket.
func (e *Engine) curl(c *suites.Case, req *http.Request) string {
	parts := []string{"curl", "-sS", "-i"}
	if req.Method != http.MethodGet {
		parts = append(parts, "-X", req.Method)
	}
	parts = append(parts, shellQuote(e.redactor.String(req.URL.String())))
	var names []string
	for k := range req.Header {
		if k != "Authorization" && k != "User-Agent" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	if shown, ok := c.Request.Auth.Display(); ok {
		parts = append(parts, "-H", shellQuoteKeepingToken("Authorization: "+shown))
	}
	for _, k := range names {
		parts = append(parts, "-H", shellQuote(k+": "+e.redactor.String(req.Header.Get(k))))
	}
	// curl sends headers of its own unless told not to: a case that sends none must not get one.
	for k, v := range c.Request.Header {
		if v == "" {
			parts = append(parts, "-H", shellQuote(k+":"))
		}
	}
	if c.Request.Body != "" {
		parts = append(parts, "--data-raw", shellQuote(c.Request.Body))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellQuoteKeepingToken single-quotes everything but the token's expansions, which go in double
// quotes so the shell substitutes them.
func shellQuoteKeepingToken(s string) string {
	var b strings.Builder
	for s != "" {
		i := strings.Index(s, "${CONFORMANCE_TOKEN")
		if i < 0 {
			b.WriteString(shellQuote(s))
			break
		}
		if i > 0 {
			b.WriteString(shellQuote(s[:i]))
		}
		end := strings.Index(s[i:], "}") + i + 1
		b.WriteString(`"` + s[i:end] + `"`)
		s = s[end:]
	}
	return b.String()
}

// Redactor replaces secrets in any string with [REDACTED]. Tokens renewed during a run are added
// to it while other goroutines redact, hence the lock.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
	// spellings are every form of every secret, longest first.
	spellings []string
	replacer  *strings.Replacer
	// folded are the secrets in ASCII lower case, for finding them in a text whose escapes
	// were decoded (see unescaped).
	folded [][]byte
	// starts indexes the spellings and the redaction mark by their first byte, for atCuts;
	// longestStart is the longest end of a text that can be the start of one of them.
	starts       [256][]string
	longestStart int
	// fragmentStarts and fragmentEnds index the secrets as given (not their case variants) by
	// their first and their last byte, for fragments; longestSecret is the longest of them.
	fragmentStarts, fragmentEnds [256][]string
	longestSecret                int
	// public is text the suite prints itself, in which no fragment is redacted (see AddPublic).
	public []string
}

// NewRedactor redacts the token, what the suites derive from it, and the extra values, each in
// every spelling a server or an encoder may give it back in: as is, URL-escaped, JSON- and
// XML-escaped, and in base64 (see secretSpellings).
func NewRedactor(token string, extra ...string) *Redactor {
	r := &Redactor{}
	r.add(extra, nil)
	r.AddToken(token)
	return r
}

// AddWhole redacts secrets in every spelling, but not their fragments: for a signing key, whose
// encodings start with the same public bytes for every key of its kind (the PEM armour, the
// PKCS#8 header), a fragment would redact ordinary text and shows nothing of the key.
func (r *Redactor) AddWhole(secrets ...string) {
	r.add(nil, secrets)
}

// AddPublic names text the suite prints itself that a fragment of a secret may be part of, such as
// the base URL a secret webhook URL given to --redact shares its scheme and host with: a fragment
// found in it is not redacted, so that the target, every request line and every curl line stay
// whole. A secret itself is still redacted wherever it stands.
func (r *Redactor) AddPublic(texts ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.public = append(r.public, texts...)
}

func (r *Redactor) isPublic(word string) bool {
	return slices.ContainsFunc(r.public, func(text string) bool { return strings.Contains(text, word) })
}

// AddToken redacts a token and what the suites derive from it.
func (r *Redactor) AddToken(token string) {
	// The suites also send the token minus its last character, with its first or its last
	// character replaced, and in upper and lower case; a server may echo any of them back.
	asGiven := []string{token}
	if len(token) > 4 {
		cut, rest := token[:len(token)-1], token[1:]
		// Each of the last three holds one of the first three whole, but not each of its
		// fragments: a server splitting the token with the x appended shows "…5b4ax".
		asGiven = append(asGiven, cut, rest, token+"x", cut+"x", "x"+rest)
	}
	// The case variants are redacted only whole: their fragments would match the suite's own
	// words (the lower case of Reference-Token ends in the "-token" of --token-command).
	r.add(asGiven, []string{strings.ToUpper(token), strings.ToLower(token)})
}

// add redacts the secrets asGiven, whole and their fragments (see fragments), and the variants
// of them, whole only.
func (r *Redactor) add(asGiven, variants []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range slices.Concat(asGiven, variants) {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
	for _, secret := range asGiven {
		for _, spelled := range fragmentSpellings(secret) {
			if start := afterHost(spelled); len(start) >= minWordFragment && !slices.Contains(r.fragmentStarts[start[0]], start) {
				r.fragmentStarts[start[0]] = append(r.fragmentStarts[start[0]], start)
			}
			if len(spelled) >= minWordFragment && !slices.Contains(r.fragmentEnds[spelled[len(spelled)-1]], spelled) {
				r.fragmentEnds[spelled[len(spelled)-1]] = append(r.fragmentEnds[spelled[len(spelled)-1]], spelled)
				r.longestSecret = max(r.longestSecret, len(spelled))
			}
		}
	}
	seen := map[string]bool{}
	var spellings []string
	for _, s := range r.secrets {
		for _, v := range secretSpellings(s) {
			if !seen[v] {
				seen[v] = true
				spellings = append(spellings, v)
			}
		}
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.SliceStable(spellings, func(i, j int) bool { return len(spellings[i]) > len(spellings[j]) })
	pairs := make([]string, 0, 2*len(spellings))
	for _, s := range spellings {
		pairs = append(pairs, s, "[REDACTED]")
	}
	r.replacer = strings.NewReplacer(pairs...)
	r.spellings = spellings
	r.folded = r.folded[:0]
	for _, secret := range r.secrets {
		if len(secret) >= minCutPrefix {
			r.folded = append(r.folded, foldASCII([]byte(secret)))
		}
	}
	r.starts = [256][]string{}
	r.longestStart = 0
	for _, word := range slices.Concat(spellings, []string{redactedMark}) {
		r.starts[word[0]] = append(r.starts[word[0]], word)
		r.longestStart = max(r.longestStart, len(word)-1)
	}
}

// fragmentSpellings are the spellings of a secret whose fragments are looked for: as is, and with
// its solidus and other reserved characters escaped as JSON encoders (PHP's \/) and URLs write them.
func fragmentSpellings(secret string) []string {
	out := []string{secret}
	for _, v := range []string{strings.ReplaceAll(secret, "/", `\/`), url.PathEscape(secret), url.QueryEscape(secret)} {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// afterHost is what of a secret URL (a webhook's) may start a fragment: its path and query, not
// its scheme and host, which it shares with every other URL of that host and are no secret. Any
// other secret is returned whole.
func afterHost(secret string) string {
	u, err := url.Parse(secret)
	if err != nil || u.Scheme == "" || u.Host == "" || !strings.HasPrefix(secret, u.Scheme+"://") {
		return secret
	}
	rest := strings.TrimPrefix(secret, u.Scheme+"://")
	_, after, _ := strings.Cut(rest, "/")
	return after
}

// minFragment is the shortest base64 fragment redacted: shorter ones would garble ordinary text.
const minFragment = 8

// secretSpellings lists how a secret may appear in output: as is; URL-escaped (a server echoing a
// query or path); JSON-escaped and XML-escaped (the report encoders' own spelling, should a raw
// secret ever reach them); and base64 in the standard and URL alphabets. A secret base64-encoded
// inside a larger blob is spelled three ways, one per alignment of its first byte, each without
// the characters it shares with its neighbours. Other transformations (hex, hashes, case changes)
// are not recognised; a fragment of a secret is, as is, when it stands alone (see fragments).
func secretSpellings(secret string) []string {
	// Go-quoted too: the checks quote what a server sent with %q.
	quoted := strconv.Quote(secret)
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), xmlEscape(secret), quoted[1 : len(quoted)-1]}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(secret) == nil {
			escaped := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(b.String()), `"`), `"`)
			// PHP's json_encode and others also escape the solidus.
			out = append(out, escaped, strings.ReplaceAll(escaped, "/", `\/`))
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for offset := 0; offset < 3; offset++ {
			// offset unknown bytes come first; a character is the secret's alone when all six of
			// its bits are.
			encoded := enc.EncodeToString(append(make([]byte, offset), secret...))
			from, to := (8*offset+5)/6, 8*(offset+len(secret))/6
			if to-from >= minFragment {
				out = append(out, encoded[from:to])
			}
		}
	}
	return out
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.replacer == nil {
		return s
	}
	s = r.atCuts(r.unescaped(r.replacer.Replace(s)))
	for {
		var redacted bool
		if s, redacted = r.fragments(s); !redacted || !strings.Contains(s, spec.CutMark) {
			return s
		}
		// A fragment redacted just before a cut mark changes what atCuts sees there.
		again := r.atCuts(s)
		if again == s {
			return s
		}
		s = again
	}
}

// Cut returns the first n bytes of b, redacted, and whether anything was cut. It redacts before it
// cuts, so that no secret straddling the cut leaves its start behind, and it redacts only a
// window of n bytes plus the longest secret, so that a 10 MB body is not copied to show 4 KB.
func (r *Redactor) Cut(b []byte, n int) (string, bool) {
	r.mu.RLock()
	longest := 0
	if len(r.spellings) > 0 {
		longest = len(r.spellings[0])
	}
	r.mu.RUnlock()
	window := b[:min(len(b), n+longest)]
	redacted := r.String(string(window))
	if len(window) < len(b) {
		// A secret that runs past the window's end is not redacted in it; and when secrets in
		// the window were replaced by the shorter mark, that end may lie before n. Whatever could
		// be the start of a secret goes.
		redacted = redacted[:max(0, len(redacted)-longest)]
	}
	shown, cut := truncate([]byte(redacted), n)
	return cleanCutEnd(shown), cut || len(window) < len(b)
}

// cleanCutEnd drops what a cut may leave at the end: half a UTF-8 character, or the start of the
// redaction mark, which would read as a broken secret.
func cleanCutEnd(s string) string {
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	for k := len(redactedMark) - 1; k >= 2; k-- {
		if strings.HasSuffix(s, redactedMark[:k]) {
			return s[:len(s)-k]
		}
	}
	return s
}

// minCutPrefix is the shortest start of a secret that a cut leaves replaced by the redaction mark
// rather than dropped: shorter ones are as likely ordinary text.
const minCutPrefix = 4

const redactedMark = "[REDACTED]"

// atCuts redacts what a cut left of a secret. The checks quote bodies and headers cut to a few
// bytes (spec.Shorten) before the redactor sees them, so a secret running past the cut is not
// whole where it is shown; only the redactor knows the secrets. Before each cut mark, whatever
// ends the text and could be the start of a secret's spelling goes, however short: from
// minCutPrefix bytes on, it is replaced by the redaction mark, and below that dropped, which
// reads as a cut a little earlier. It is repeated until nothing is left to drop, so that a
// second pass over the same text changes nothing.
func (r *Redactor) atCuts(s string) string {
	if !strings.Contains(s, spec.CutMark) {
		return s
	}
	var b strings.Builder
	for {
		before, after, found := strings.Cut(s, spec.CutMark)
		if !found {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(r.dropSecretStart(before))
		b.WriteString(spec.CutMark)
		s = after
	}
}

// dropSecretStart takes off the end of s whatever could be the start of a secret, or of the
// redaction mark itself (a cut of text already redacted).
func (r *Redactor) dropSecretStart(s string) string {
	for !strings.HasSuffix(s, redactedMark) {
		k := r.startLeft(s)
		switch {
		case k == 0:
			return s
		case k >= minCutPrefix && !strings.HasPrefix(redactedMark, s[len(s)-k:]):
			return s[:len(s)-k] + redactedMark
		}
		s = s[:len(s)-k]
	}
	return s
}

// startLeft is the length of the longest end of s that is the start of a spelling (or of the
// redaction mark), shorter than it. Only the positions whose byte starts a spelling are tried.
func (r *Redactor) startLeft(s string) int {
	for p := max(0, len(s)-r.longestStart); p < len(s); p++ {
		for _, word := range r.starts[s[p]] {
			if len(word) > len(s)-p && strings.HasPrefix(word, s[p:]) {
				return len(s) - p
			}
		}
	}
	return 0
}

// Write writes what write produces to w, redacted as a whole: a writer that redacted each Write
// on its own would miss a secret split across two buffered writes.
func (r *Redactor) Write(w io.Writer, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, r.String(b.String()))
	return err
}

// Describe is a finding as a few lines of text: requirement, expected, actual, details.
func (f Finding) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) %s\n", f.RequirementID, f.Level, f.Requirement)
	fmt.Fprintf(&b, "  expected: %s\n", f.Expected)
	fmt.Fprintf(&b, "  actual:   %s\n", f.Actual)
	for _, d := range f.Details {
		fmt.Fprintf(&b, "    - %s\n", d)
	}
	return b.String()
}

// unescaped redacts a secret whose characters are spelled each its own way, as a JSON encoder that
// escapes some characters (\u0053), an HTML page (&#83;, &#x53;) or a percent-encoder (%53) may mix
// them, in any case: no list of whole spellings covers every mixture. The escapes are decoded once,
// each decoded byte remembering where it came from, and every secret is looked for in the decoded
// text.
func (r *Redactor) unescaped(s string) string {
	if len(r.folded) == 0 || !strings.ContainsAny(s, `\&%`) {
		return s
	}
	decoded := make([]byte, 0, len(s))
	from := make([]int32, 0, len(s)+1) // where in s each decoded byte starts
	for i := 0; i < len(s); {
		b, n := decodeEscape(s[i:])
		for _, c := range b {
			decoded = append(decoded, c)
			from = append(from, int32(i))
		}
		i += n
	}
	from = append(from, int32(len(s)))
	decoded = foldASCII(decoded)
	var spans [][2]int
	for _, secret := range r.folded {
		for at := 0; ; {
			k := bytes.Index(decoded[at:], secret)
			if k < 0 {
				break
			}
			start, end := at+k, at+k+len(secret)
			spans = append(spans, [2]int{int(from[start]), int(from[end])})
			at = end
		}
	}
	if len(spans) == 0 {
		return s
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp[0] < last { // within one already redacted
			last = max(last, sp[1])
			continue
		}
		b.WriteString(s[last:sp[0]])
		b.WriteString(redactedMark)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// decodeEscape decodes the escape s starts with, \uXXXX, &#NN;, &#xHH; or %HH, into its bytes and
// says how many bytes of s it took; anything else is one byte as it is.
func decodeEscape(s string) ([]byte, int) {
	switch {
	case len(s) >= 6 && s[0] == '\\' && (s[1] == 'u' || s[1] == 'U'):
		if n, err := strconv.ParseUint(s[2:6], 16, 32); err == nil {
			return []byte(string(rune(n))), 6
		}
	case len(s) >= 3 && s[0] == '%':
		if n, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
			return []byte{byte(n)}, 3
		}
	case len(s) >= 4 && s[0] == '&' && s[1] == '#':
		if end := strings.IndexByte(s[:min(len(s), 12)], ';'); end > 2 {
			digits, base := s[2:end], 10
			if digits[0] == 'x' || digits[0] == 'X' {
				digits, base = digits[1:], 16
			}
			if n, err := strconv.ParseUint(digits, base, 32); err == nil && n <= utf8.MaxRune {
				return []byte(string(rune(n))), end + 1
			}
		}
	}
	return []byte{s[0]}, 1
}

// foldASCII lowers ASCII letters in place, leaving every other byte, so that offsets keep.
func foldASCII(b []byte) []byte {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}
