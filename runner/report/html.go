package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed templates/report.html
var htmlSource string

// The page carries its own style and loads nothing: a vendor publishes one file, and a reader
// opens it offline. html/template escapes every value, so a hostile response body stays text.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"timestamp": timestamp,
	"seconds":   seconds,
	"millis":    func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) },
	"class":     func(verdict string) string { return strings.ReplaceAll(verdict, " ", "-") },
	"anchor":    func(id string) string { return "case-" + strings.ReplaceAll(id, "/", "-") },
	"problem":   isProblem,
	"request":   RequestText,
	"response":  ResponseText,
}).Parse(htmlSource))

// HTML writes the self-contained report: verdict, provenance, per-endpoint table, every failure
// with its findings, reproduction, redacted request and response, every case, and the
// configuration.
func HTML(w io.Writer, run *Run) error {
	return htmlTemplate.Execute(w, run)
}
