package engine

import (
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/suites"
)

// minWordFragment is the shortest fragment of a secret that is redacted: shorter ones are as
// likely ordinary text, and as cheap to guess.
const minWordFragment = 4

// authSchemes are the authorization schemes the suite sends; a scheme standing alone glued to a
// fragment is a boundary (see startsAlone).
var authSchemes = suites.AuthSchemes()

// ownWords are never taken for a fragment, in any case and with the punctuation around them: the
// suite writes them itself, in its messages, titles, request views and reproduction commands, and
// a token may well begin or end with one (Reference-Token, token-0123, a-rotated-token).
var ownWords = append([]string{"token"}, authSchemes...)

// fragments redacts what a server may show of a secret without showing it whole: a masked prefix
// ("tok-SE...", "sk_test_****1234", which also shows the last four), or the secret split into two
// strings. A fragment is a prefix or a suffix of a secret as given (not of its case variants), of
// minWordFragment bytes or more, holding at least one ASCII letter or digit and not one of the
// suite's own words (see isFragment), that stands alone: neither byte next to it is an ASCII
// letter or digit. Inside a longer word it is left alone, so
// that ordinary text is not garbled. Where fragments overlap the longest is redacted; a fragment
// next to a redacted one stands alone too, and goes in turn, until nothing changes, so that a
// second pass changes nothing. The redaction mark is never part of a fragment. It reports
// whether it redacted anything.
func (r *Redactor) fragments(s string) (string, bool) {
	if r.longestSecret == 0 || len(s) < minWordFragment {
		return s, false
	}
	f := fragmentScan{r: r, s: s}
	if strings.Contains(s, redactedMark) {
		f.covered = make([]bool, len(s))
		for at := 0; ; {
			k := strings.Index(s[at:], redactedMark)
			if k < 0 {
				break
			}
			f.cover(at+k, at+k+len(redactedMark))
			at += k + len(redactedMark)
		}
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
// an ASCII letter or digit, a redacted byte, or an authorization scheme standing alone, which
// the suite glues to the token itself ("Bearer<token>").
func (f *fragmentScan) startsAlone(i int) bool {
	bounded := func(i int) bool { return i == 0 || !isWordByte(f.s[i-1]) || f.isCovered(i-1) }
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

// endsAlone says whether a fragment may end at j, before the text's end, a byte that is not an
// ASCII letter or digit, or a redacted byte.
func (f *fragmentScan) endsAlone(j int) bool {
	return j == len(f.s) || !isWordByte(f.s[j]) || f.isCovered(j)
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
				if f.endsAlone(i+n) && isFragment(s[i:i+n]) {
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
				if f.startsAlone(j-n) && isFragment(s[j-n:j]) {
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

// isFragment leaves out what carries nothing of a secret: a run of punctuation alone (the
// dashes of a PEM armour) and the suite's own words.
func isFragment(s string) bool {
	word := strings.TrimFunc(s, func(c rune) bool { return c >= 128 || !isWordByte(byte(c)) })
	return word != "" && !slices.ContainsFunc(ownWords, func(own string) bool { return strings.EqualFold(word, own) })
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
