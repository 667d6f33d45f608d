package engine

import (
	"slices"
	"strconv"
	"strings"

	"github.com/contacts-conformance/suite/suites"
)

// The length a fragment must have, counted without the punctuation around it: from
// minAloneFragment bytes on, a fragment holding a digit or punctuation is redacted wherever it
// stands alone, and so is one of letters whose case changes inside it (QwErTyZ); one of letters
// in one case only from minLettersFragment, since a secret's first word ("contact", "https",
// "conformance", "Authorization") is ordinary text in every report. A shorter fragment, down to
// minWordFragment, goes only beside a mask (sk_test_****1234, ••••7319, XXXX7319, tok-SE...):
// elsewhere it is as likely an id's group or a year of the reports' own text.
const (
	minWordFragment    = 4
	minAloneFragment   = 5
	minLettersFragment = 16
)

// authSchemes are the authorization schemes the suite sends; a scheme standing alone glued to a
// fragment is a boundary (see startsAlone).
var authSchemes = suites.AuthSchemes()

// ownWords are never taken for a fragment, in any case and with the punctuation around them: the
// suite writes them itself, in its messages, titles, request views and reproduction commands, and
// a token may well begin or end with one (Reference-Token, token-0123, a-rotated-token).
var ownWords = append([]string{"token"}, authSchemes...)

// fragments redacts what a server may show of a secret without showing it whole: a masked prefix
// ("tok-SE...", "sk_test_****1234", which also shows the last four), or the secret split into two
// strings. A fragment is a prefix or a suffix of a secret as given (not of its case variants) that
// stands alone (startsAlone, endsAlone) and is long enough to be no ordinary text (isFragment).
// Inside a longer word it is left alone, so that ordinary text is not garbled. Where fragments
// overlap the longest is redacted; a fragment next to a redacted one stands alone too, and goes
// in turn, until nothing changes, so that a second pass changes nothing. The redaction mark is
// never part of a fragment. It reports whether it redacted anything.
func (r *Redactor) fragments(s string) (string, bool) {
	if r.longestSecret == 0 || len(s) < minWordFragment {
		return s, false
	}
	f := fragmentScan{r: r, s: s}
	for at := 0; ; {
		k := strings.Index(s[at:], redactedMark)
		if k < 0 {
			break
		}
		f.cover(at+k, at+k+len(redactedMark))
		at += k + len(redactedMark)
	}
	redacted := f.take(f.candidates(0, len(s)))
	// Only near what was just redacted can a fragment have come to stand alone.
	for fresh := redacted; len(fresh) > 0; {
		var near [][2]int
		for _, sp := range fresh {
			near = append(near, f.candidates(max(0, sp[0]-r.longestSecret), min(len(s), sp[1]+r.longestSecret))...)
		}
		fresh = f.take(near)
		redacted = append(redacted, fresh...)
	}
	if len(redacted) == 0 {
		return s, false
	}
	slices.SortFunc(redacted, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	last := 0
	for _, sp := range redacted {
		b.WriteString(s[last:sp[0]])
		b.WriteString(redactedMark)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String(), true
}

// fragmentScan is one text being searched for fragments; covered marks the bytes redacted so far
// (nil while there are none).
type fragmentScan struct {
	r       *Redactor
	s       string
	covered []bool
}

func (f *fragmentScan) isCovered(i int) bool { return f.covered != nil && f.covered[i] }

func (f *fragmentScan) cover(from, to int) {
	if f.covered == nil {
		f.covered = make([]bool, len(f.s))
	}
	for i := from; i < to; i++ {
		f.covered[i] = true
	}
}

// startsAlone says whether a fragment may start at i: after the text's start, a byte that is not
// an ASCII letter or digit, a redacted byte, an escape, a mask, or an authorization scheme
// standing alone, which
// the suite glues to the token itself ("Bearer<token>").
func (f *fragmentScan) startsAlone(i int) bool {
	bounded := func(i int) bool {
		_, escaped := escapeBefore(f.s[:i])
		return i == 0 || !isWordByte(f.s[i-1]) || f.isCovered(i-1) || escaped || maskEnds(f.s[:i])
	}
	if bounded(i) {
		return true
	}
	for _, scheme := range authSchemes {
		if at := i - len(scheme); at >= 0 && f.s[at:i] == scheme && bounded(at) {
			return true
		}
	}
	return false
}

// endsAlone says whether a fragment may end at j: before the text's end, a byte that is not an
// ASCII letter or digit, a redacted byte, an escape or a mask.
func (f *fragmentScan) endsAlone(j int) bool {
	_, escaped := escapeAfter(f.s[j:])
	return j == len(f.s) || !isWordByte(f.s[j]) || f.isCovered(j) || escaped || maskStarts(f.s[j:])
}

// maskedBefore and maskedAfter report a mask right next to a fragment, or a part already redacted
// (across one byte of punctuation at most): what shows that a server printed the fragment as the
// visible part of a masked secret.
func (f *fragmentScan) maskedBefore(i int) bool {
	if maskEnds(f.s[:i]) {
		return true
	}
	for k := i; k >= max(1, i-1); k-- {
		if f.isCovered(k - 1) {
			return true
		}
		if isWordByte(f.s[k-1]) {
			return false
		}
	}
	return false
}

func (f *fragmentScan) maskedAfter(j int) bool {
	if maskStarts(f.s[j:]) {
		return true
	}
	for k := j; k < min(len(f.s), j+2); k++ {
		if f.isCovered(k) {
			return true
		}
		if isWordByte(f.s[k]) {
			return false
		}
	}
	return false
}

// A mask is what a server hides the rest of a secret with: a run of three or more of one
// punctuation byte (****, ----, ~~~, ..., ###), a run of x or X, any character beyond ASCII (a
// bullet •, ●, ·, an ellipsis …), or an escape of a star or of such a character (\u2022,
// %E2%80%A2, %2A, &#x2022;, &bull;).
func maskEnds(s string) bool {
	n := len(s)
	return n > 0 && (s[n-1] >= 0x80 || maskEscapeEnds(s) || n >= 3 && maskRun(s[n-3:]))
}

func maskStarts(s string) bool {
	return len(s) > 0 && (s[0] >= 0x80 || maskEscapeStarts(s) || len(s) >= 3 && maskRun(s[:3]))
}

// maskRun reports three bytes that are one mask byte thrice: x, X or punctuation.
func maskRun(three string) bool {
	c := three[0]
	return (c == 'x' || c == 'X' || isMaskPunct(c)) && three[1] == c && three[2] == c
}

// isMaskPunct is ASCII punctuation, white space aside (indentation is no mask).
func isMaskPunct(c byte) bool {
	return c > ' ' && c < 0x7f && !isWordByte(c)
}

// maskEscapeEnds and maskEscapeStarts report an escape of a star or of a character beyond ASCII
// next to a fragment: JSON's \uXXXX, a percent escape (of one byte of its UTF-8), an HTML
// character reference, numeric or one of the named bullets and ellipses.
func maskEscapeEnds(s string) bool {
	if code, ok := escapeBefore(s); ok {
		return masksAs(code)
	}
	// Only the last few bytes are looked at: this runs at every place a fragment may start.
	tail := s[max(0, len(s)-maxEntity):]
	if amp := strings.LastIndexByte(tail, '&'); strings.HasSuffix(tail, ";") && amp >= 0 {
		return entityMasks(tail[amp+1 : len(tail)-1])
	}
	return false
}

// maxEntity is the longest character reference a mask is written with (&#x2022; &hellip;).
const maxEntity = 10

func maskEscapeStarts(s string) bool {
	if code, ok := escapeAfter(s); ok {
		return masksAs(code)
	}
	head := s[:min(len(s), maxEntity)]
	if end := strings.IndexByte(head, ';'); strings.HasPrefix(head, "&") && end > 1 {
		return entityMasks(head[1:end])
	}
	return false
}

// masksAs reports whether the hex code of an escape is a star or beyond ASCII.
func masksAs(hex string) bool {
	v, err := strconv.ParseUint(hex, 16, 32)
	return err == nil && (v == '*' || v >= 0x80)
}

func entityMasks(name string) bool {
	switch {
	case strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X"):
		return allHex(name[2:]) && masksAs(name[2:])
	case strings.HasPrefix(name, "#"):
		v, err := strconv.ParseUint(name[1:], 10, 32)
		return err == nil && (v == '*' || v >= 0x80)
	}
	return slices.Contains([]string{"bull", "bullet", "hellip", "middot", "lowast", "ast", "sdot"}, name)
}

// escapeBefore and escapeAfter find a JSON \uXXXX or a percent escape ending s, or starting it,
// and give its hex code. Next to a fragment, an escape is its edge: the escape's last hex digit
// is no letter of the text (\u2022 before a token's last four).
func escapeBefore(s string) (code string, ok bool) {
	n := len(s)
	switch {
	case n >= 6 && s[n-6] == '\\' && s[n-5] == 'u' && allHex(s[n-4:]):
		return s[n-4:], true
	case n >= 3 && s[n-3] == '%' && allHex(s[n-2:]):
		return s[n-2:], true
	}
	return "", false
}

func escapeAfter(s string) (code string, ok bool) {
	switch {
	case len(s) >= 6 && s[0] == '\\' && s[1] == 'u' && allHex(s[2:6]):
		return s[2:6], true
	case len(s) >= 3 && s[0] == '%' && allHex(s[1:3]):
		return s[1:3], true
	}
	return "", false
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// candidates lists the longest fragment starting and the longest ending at each position from lo
// to hi, over bytes not yet redacted. Only the positions whose byte starts or ends a secret are
// tried, so that a text without any costs one look at each byte.
func (f *fragmentScan) candidates(lo, hi int) [][2]int {
	var found [][2]int
	s := f.s
	for i := lo; i < hi; i++ {
		if f.r.fragmentStarts[s[i]] == nil || f.isCovered(i) || !f.startsAlone(i) {
			continue
		}
		for _, secret := range f.r.fragmentStarts[s[i]] {
			n := 0
			for n < len(secret) && i+n < len(s) && s[i+n] == secret[n] && !f.isCovered(i+n) {
				n++
			}
			for ; n >= minWordFragment; n-- {
				if f.endsAlone(i+n) && f.isFragment(i, i+n) {
					found = append(found, [2]int{i, i + n})
					break
				}
			}
		}
	}
	for j := lo + 1; j <= hi; j++ {
		if f.r.fragmentEnds[s[j-1]] == nil || f.isCovered(j-1) || !f.endsAlone(j) {
			continue
		}
		for _, secret := range f.r.fragmentEnds[s[j-1]] {
			n := 0
			for n < len(secret) && j-n > 0 && s[j-n-1] == secret[len(secret)-n-1] && !f.isCovered(j-n-1) {
				n++
			}
			for ; n >= minWordFragment; n-- {
				if f.startsAlone(j-n) && f.isFragment(j-n, j) {
					found = append(found, [2]int{j - n, j})
					break
				}
			}
		}
	}
	return found
}

// take redacts the candidates, the longest first, each unless it overlaps one already redacted,
// and returns those it redacted.
func (f *fragmentScan) take(candidates [][2]int) [][2]int {
	slices.SortStableFunc(candidates, func(a, b [2]int) int { return (b[1] - b[0]) - (a[1] - a[0]) })
	var taken [][2]int
	for _, c := range candidates {
		if f.free(c[0], c[1]) {
			f.cover(c[0], c[1])
			taken = append(taken, c)
		}
	}
	return taken
}

func (f *fragmentScan) free(from, to int) bool {
	for i := from; i < to; i++ {
		if f.isCovered(i) {
			return false
		}
	}
	return true
}

// isFragment says whether s[i:j] is long enough to be redacted where it stands (see
// minAloneFragment), counted without the punctuation around it; it leaves out what carries nothing
// of a secret: a run of punctuation alone (the dashes of a PEM armour) and the suite's own words.
func (f *fragmentScan) isFragment(i, j int) bool {
	word := strings.TrimFunc(f.s[i:j], func(c rune) bool { return c >= 128 || !isWordByte(byte(c)) })
	if word == "" || slices.ContainsFunc(ownWords, func(own string) bool { return strings.EqualFold(word, own) }) || f.r.isPublic(word) {
		return false
	}
	if strings.ContainsAny(word, " \t\r\n") {
		return false // a token holds no white space; a --redact value's words are the text's too
	}
	letters := strings.IndexFunc(word, func(c rune) bool { return !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') }) < 0
	switch {
	case !letters && len(word) >= minAloneFragment, letters && len(word) >= minLettersFragment, letters && len(word) >= minAloneFragment && mixedCase(word):
		return true
	}
	return j-i >= minWordFragment && (f.maskedBefore(i) || f.maskedAfter(j))
}

// mixedCase reports a word whose case changes inside it (QwErTyZ, tKqWz), as random letters do and
// the words of a text (contact, Reference, HTTPS) do not.
func mixedCase(word string) bool {
	upperInside := strings.IndexFunc(word[1:], func(c rune) bool { return 'A' <= c && c <= 'Z' }) >= 0
	lower := strings.IndexFunc(word, func(c rune) bool { return 'a' <= c && c <= 'z' }) >= 0
	return upperInside && lower
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
