package spec

import "unicode/utf8"

// CutMark ends a text shortened for display. The redactor recognises it: text is cut before the
// redactor sees it, so a secret running past the cut is not whole there, and whatever before the
// mark could be the start of a secret goes.
const CutMark = "[…]"

// Shorten keeps at most n bytes of s, cut on a character boundary and followed by CutMark. Every
// preview or quote of what a server sent is cut with it, so that none escapes the redactor.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + CutMark
}
