package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/template"
	"unicode/utf8"
)

// The badge is a small SVG a vendor embeds beside the link to the published folder: the suite
// version, the claimed profiles and the verdict. It loads nothing (no font, script, style sheet or
// image from anywhere), so it shows the same offline and cannot be swapped from elsewhere.

// badgeLoads are what would make an SVG load or run something; the badge holds none of them.
var badgeLoads = []string{"href", "url(", "@import", "<script", "<image", "<foreignobject", "<style"}

// verdictColours are the verdicts' colours, the text colours of report.html's banners, dark enough
// for white text.
var verdictColours = map[string]string{
	Conformant:           "#116329",
	NotConformant:        "#a40e26",
	Incomplete:           "#7d4e00",
	KnownFailures:        "#0a3069",
	OutdatedExpectations: "#953800",
}

// partialColour marks a partial claim whatever its verdict: a badge is read at a glance, and a
// green one must mean the whole claim holds.
const partialColour = "#7d4e00"

var badgeTemplate = template.Must(template.New("badge").Funcs(template.FuncMap{"xml": xmlText}).Parse(
	`<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="20" role="img" aria-label="{{xml .Title}}">
<title>{{xml .Title}}</title>
{{- range .Segments}}
<rect x="{{.X}}" width="{{.Width}}" height="20" fill="{{.Fill}}"/>
{{- end}}
<g fill="#ffffff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
{{- range .Segments}}
<text x="{{.Middle}}" y="14">{{xml .Text}}</text>
{{- end}}
</g>
</svg>
`))

type badgeSegment struct {
	X, Width, Middle int
	Fill, Text       string
}

// badgeCharWidth is the width of a character at 11 px, generous so the text never overflows
// whatever sans-serif font draws it; badgePadding is the room on either side.
const (
	badgeCharWidth = 7
	badgePadding   = 6
)

// BadgeTitle is the badge in words, its title for screen readers and tooltips.
func BadgeTitle(run *Run) string {
	state := "no claim recorded"
	if run.Claim != nil {
		state = run.Claim.State + " claim"
	}
	return fmt.Sprintf("Contacts API conformance: %s, %s, %s, contacts-conformance %s", run.Verdict(), run.ClaimName(), state, run.SuiteVersion)
}

// Badge writes badge.svg.
func Badge(w io.Writer, run *Run) error {
	verdict, fill := run.Verdict(), verdictColours[run.Verdict()]
	if !run.ClaimIsComplete() {
		verdict, fill = verdict+", partial claim", partialColour
	}
	texts := []struct{ text, fill string }{
		{"contacts-conformance " + run.SuiteVersion, "#555555"}, {run.ClaimName(), "#3d4349"}, {verdict, fill},
	}
	var segments []badgeSegment
	x := 0
	for _, t := range texts {
		width := utf8.RuneCountInString(t.text)*badgeCharWidth + 2*badgePadding
		segments = append(segments, badgeSegment{X: x, Width: width, Middle: x + width/2, Fill: t.fill, Text: t.text})
		x += width
	}
	return badgeTemplate.Execute(w, struct {
		Width    int
		Title    string
		Segments []badgeSegment
	}{x, BadgeTitle(run), segments})
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
