package runner

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// chromiumFlags print a page headless on a machine with no network and no display.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
}

// flat is s without white space: a line the printer wrapped reads as the line it was.
func flat(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

var (
	pdfPage = regexp.MustCompile(`<page width="([0-9.]+)" height="[0-9.]+">`)
	pdfWord = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="[0-9.]+" xMax="([0-9.]+)" yMax="[0-9.]+">([^<]*)</word>`)
)

// docs/reports.md promises that report.html prints whole. Headless Chromium prints the report of a
// failing run to PDF; the printed text must hold the verdict, the index of failures and every
// curl line, and no word may run past the page's margins (a pre that does not wrap would clip or
// lose the end of a curl line). make print-check runs it, installing what it needs.
func TestReportPrintsWhole(t *testing.T) {
	if os.Getenv("CONFORMANCE_PRINT_CHECK") == "" {
		t.Skip("make print-check runs this test (it needs chromium and pdftotext, which it installs)")
	}
	dir := os.Getenv("CONFORMANCE_PRINT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	// malformed-id-500 fails every malformed-id case, among them a 2048-character id and quotes in
	// a URL: the longest curl lines the suite writes.
	srv, err := refserver.Start(refserver.Options{Prefix: "/v1", Fault: "malformed-id-500"})
	require.NoError(t, err)
	defer srv.Close()
	out := filepath.Join(dir, "reports")
	o := runWith(t, nil, runArgs(srv, out, "--quiet")...)
	require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
	run, err := report.ReadRun(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	problems := run.Problems()
	malformed := 0
	for _, r := range run.Results {
		if r.Area == "malformed-id" {
			malformed++
		}
	}
	require.Len(t, problems, malformed, "a failure for every malformed id, and no other")

	page, err := filepath.Abs(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	pdf := filepath.Join(dir, "report.pdf")
	profile := t.TempDir()
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+profile, "--print-to-pdf="+pdf, "file://"+page)
	code, _, errOut := execute(t, dir, os.Environ(), "chromium", args...)
	require.Equal(t, 0, code, errOut)
	// -raw keeps the content stream's order and every character: pdftotext's default mode joins a
	// line ending in "-" with the next and drops the hyphen, which would mangle a wrapped UUID.
	code, text, errOut := execute(t, dir, os.Environ(), "pdftotext", "-raw", "-enc", "UTF-8", pdf, "-")
	require.Equal(t, 0, code, errOut)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "report.txt"), []byte(text), 0o644))
	code, boxes, errOut := execute(t, dir, os.Environ(), "pdftotext", "-bbox", "-enc", "UTF-8", pdf, "-")
	require.Equal(t, 0, code, errOut)
	printed := flat(text)
	// printedAs checks that want is in the printed text, lines joined; the text is in report.txt.
	printedAs := func(want, what string) {
		t.Helper()
		if !strings.Contains(printed, flat(want)) {
			t.Errorf("%s is not in the printed text (see %s): %q", what, filepath.Join(dir, "report.txt"), want)
		}
	}

	printedAs("NOT CONFORMANT", "the verdict in the banner")
	printedAs(run.VerdictReason(), "the sentence that explains it")
	// The index: its header row, then every failure's row, in order and whole.
	index := "outcome case what went wrong"
	for _, r := range problems {
		index += " FAIL " + r.ID + " " + report.Headline(r)
		require.NotEmpty(t, r.Curl)
		printedAs("reproduce "+r.Curl, "the curl line of "+r.ID)
	}
	printedAs("Failures, warnings and errors", "the index's heading")
	printedAs(index, "the index of failures")

	// Words stay inside the margins: the left one is where the text starts, the right one as wide.
	pages := pdfPage.FindAllStringSubmatchIndex(boxes, -1)
	require.NotEmpty(t, pages)
	left, words := 1e9, 0
	for _, m := range pdfWord.FindAllStringSubmatch(boxes, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		left = min(left, x)
		words++
	}
	require.Positive(t, words)
	for i, p := range pages {
		width, _ := strconv.ParseFloat(boxes[p[2]:p[3]], 64)
		end := len(boxes)
		if i+1 < len(pages) {
			end = pages[i+1][0]
		}
		for _, m := range pdfWord.FindAllStringSubmatch(boxes[p[1]:end], -1) {
			xMax, _ := strconv.ParseFloat(m[2], 64)
			assert.LessOrEqual(t, xMax, width-left+1, "page %d: %q runs past the right margin", i+1, m[3])
		}
	}
	t.Logf("printed %d pages, %d words, the %d curl lines whole, to %s", len(pages), words, len(problems), pdf)
}
