// Package leak finds a secret wherever it can still be read in a text: as is, URL-escaped, JSON-
// or XML-escaped, or base64-encoded at any alignment. The tests of every output channel use it; it
// decodes on its own, independently of the redactor whose work it checks.
package leak

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
)

var (
	base64Run  = regexp.MustCompile(`[A-Za-z0-9+/_-]{4,}`)
	jsonString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// Find lists the spellings in which secret can be read in s; empty means none.
func Find(s, secret string) []string {
	var found []string
	if strings.Contains(s, secret) {
		found = append(found, "as is")
	}
	if u, err := url.QueryUnescape(s); err == nil && strings.Contains(u, secret) {
		found = append(found, "URL-escaped")
	}
	if u, err := url.PathUnescape(s); err == nil && strings.Contains(u, secret) {
		found = append(found, "path-escaped")
	}
	for _, lit := range jsonString.FindAllString(s, -1) {
		var unquoted string
		if json.Unmarshal([]byte(lit), &unquoted) == nil && strings.Contains(unquoted, secret) {
			found = append(found, "JSON-escaped")
			break
		}
	}
	if strings.Contains(html.UnescapeString(s), secret) {
		found = append(found, "XML-escaped")
	}
	if inBase64(s, secret) {
		found = append(found, "base64")
	}
	return found
}

func inBase64(s, secret string) bool {
	for _, run := range base64Run.FindAllString(s, -1) {
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for skip := 0; skip < 4 && skip < len(run); skip++ {
				chunk := run[skip:]
				if len(chunk)%4 == 1 {
					chunk = chunk[:len(chunk)-1]
				}
				if b, err := enc.DecodeString(chunk); err == nil && bytes.Contains(b, []byte(secret)) {
					return true
				}
			}
		}
	}
	return false
}
