package report

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

//go:embed templates/report.html
var htmlSource string

// The page carries its own style and loads nothing: a vendor publishes one file, and a reader
// opens it offline. html/template escapes every value, so a hostile response body stays text.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"timestamp":    timestamp,
	"seconds":      seconds,
	"millis":       func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) },
	"class":        func(verdict string) string { return strings.ReplaceAll(verdict, " ", "-") },
	"anchor":       func(id string) string { return "case-" + strings.ReplaceAll(id, "/", "-") },
	"detailed":     func(r *engine.Result) bool { return isProblem(r) || r.Outcome == engine.ExpectedFail },
	"requirements": RequirementList,
	"outdated":     outdatedCounts,
	"headline":     Headline,
	"count":        countCell,
	"request":      RequestText,
	"response":     func(r *engine.Result) string { return responseText(r, indentJSON) },
	"indented": func(r *engine.Result) bool {
		return r.Response != nil && indentJSON(r.Response.Body) != r.Response.Body
	},
}).Parse(htmlSource))

// HTML writes the self-contained report: verdict, provenance, per-endpoint table, every failure
// with its findings, reproduction, redacted request and response, every case, and the
// configuration.
func HTML(w io.Writer, run *Run) error {
	return htmlTemplate.Execute(w, run)
}

// countCell is a table cell of a count of outcome: a zero fades, so the counts that need a look
// (failures, warnings, errors) stand out in their outcome's colour.
func countCell(n int, outcome engine.Outcome) template.HTML {
	class := "n"
	switch {
	case n == 0:
		class += " zero"
	case outcome == engine.Fail || outcome == engine.Warn || outcome == engine.Error:
		class += " hot o-" + string(outcome)
	}
	return template.HTML(fmt.Sprintf(`<td class="%s">%d</td>`, class, n))
}

// indentJSON lays a JSON body out one member a line, the way json.Indent does, so a reader finds
// the field a finding names. A body the engine cut short is indented as far as it goes; anything
// that is not JSON, or a prefix of it, is returned as it came, since removing its spaces would
// change what the server said.
func indentJSON(body string) string {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || (trimmed[0] != '{' && trimmed[0] != '[') || !jsonPrefix(trimmed) {
		return body
	}
	var b strings.Builder
	depth := 0
	newline := func() {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth))
	}
	inString, escaped := false, false
	for i := 0; i < len(trimmed); i++ {
		c := trimmed[i]
		if inString {
			b.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inString = true
			b.WriteByte(c)
		case '{', '[':
			b.WriteByte(c)
			next := i + 1
			for next < len(trimmed) && strings.IndexByte(" \t\n\r", trimmed[next]) >= 0 {
				next++
			}
			if next < len(trimmed) && trimmed[next] == c+2 { // '{'+2 is '}', '['+2 is ']'
				b.WriteByte(trimmed[next])
				i = next
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth = max(depth-1, 0)
			newline()
			b.WriteByte(c)
		case ',':
			b.WriteByte(c)
			newline()
		case ':':
			b.WriteString(": ")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// jsonPrefix reports whether s is JSON, or JSON cut short.
func jsonPrefix(s string) bool {
	dec := json.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err != nil {
			return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		}
	}
}
