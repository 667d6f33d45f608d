// Package expect reads and writes the expectations file of --expect: the failures a team has
// accepted for a while, each with an expiry date and a reason, kept in its own repository. It
// applies them to a run record once the cases have ended, never inside the engine: a listed
// failure becomes an expected failure, a listed case that passes is an unexpected pass, and an
// expired entry excuses nothing. The format is in docs/expectations.md.
package expect

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// DateLayout is how expiry dates are written.
const DateLayout = "2006-01-02"

// Entry is one line of an expectations file.
type Entry struct {
	Line int
	// ID is a case id, or a requirement id standing for every case checking it.
	ID          string
	Requirement bool
	// Expires is the day (UTC) from which the entry excuses nothing.
	Expires time.Time
	Reason  string
}

// File is a parsed expectations file.
type File struct {
	// Name is the path as given, the way reports name it.
	Name    string
	SHA256  string
	Entries []Entry
}

// Catalogue is what an entry may name: the suite's case ids and requirement ids.
type Catalogue struct {
	Cases, Requirements map[string]bool
}

// CatalogueOf is every case id and requirement id the suite has, whatever the configuration, so
// an expectations file is checked against the same list everywhere.
func CatalogueOf(contract *spec.Contract) Catalogue {
	cat := Catalogue{Cases: map[string]bool{}, Requirements: map[string]bool{}}
	for _, c := range suites.Build(contract, suites.CatalogueConfig) {
		cat.Cases[c.ID] = true
	}
	for _, id := range suites.ExploreResultIDs(contract) {
		cat.Cases[id] = true
	}
	for _, r := range suites.Requirements() {
		cat.Requirements[r.ID] = true
	}
	return cat
}

// maxFile bounds the file read: thousands of entries are a few hundred kilobytes.
const maxFile = 4 << 20

var requirementID = regexp.MustCompile(`^[A-Z]+-[0-9]{3}$`)

// Load reads and parses the file at path; every error is one line naming the file.
func Load(path string, cat Catalogue) (*File, error) {
	data, err := report.ReadFile(path, maxFile, "an expectations file is one short line a known failure")
	if err != nil {
		return nil, err
	}
	return Parse(path, data, cat)
}

// Parse reads an expectations file: blank lines and lines starting with # are ignored; every
// other line is a case or requirement id, an expiry date (YYYY-MM-DD) and a reason, separated by
// white space. A line that is not, an id the catalogue does not have, or an id listed twice is an
// error naming the line.
func Parse(name string, data []byte, cat Catalogue) (*File, error) {
	sum := sha256.Sum256(data)
	file := &File{Name: name, SHA256: hex.EncodeToString(sum[:])}
	listed := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := fmt.Sprintf("%s line %d", name, n)
		fields := strings.Fields(line)
		if len(fields) < 3 {
			return nil, fmt.Errorf("%s: an entry is a case or requirement id, an expiry date (YYYY-MM-DD) and a reason; this line has %d of the 3", where, len(fields))
		}
		e := Entry{Line: n, ID: fields[0], Requirement: requirementID.MatchString(fields[0])}
		known := cat.Cases[e.ID]
		if e.Requirement {
			known = cat.Requirements[e.ID]
		}
		if !known {
			return nil, fmt.Errorf("%s: %q is neither a case id nor a requirement id of this suite (contacts-conformance --list shows them)", where, e.ID)
		}
		if first, ok := listed[e.ID]; ok {
			return nil, fmt.Errorf("%s: %s is already listed on line %d", where, e.ID, first)
		}
		listed[e.ID] = n
		expires, err := time.Parse(DateLayout, fields[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an expiry date (YYYY-MM-DD)", where, fields[1])
		}
		e.Expires, e.Reason = expires, strings.Join(fields[2:], " ")
		file.Entries = append(file.Entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", name, err)
	}
	return file, nil
}

// Expired reports whether the entry excuses nothing on the day.
func (e Entry) Expired(today time.Time) bool { return !Day(today).Before(e.Expires) }

// Day is the UTC date of t, at midnight, the unit expiry dates count in.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Write writes entries as an expectations file, the header lines first as comments, the ids in a
// column so the file reads as a table. Parse reads back exactly the entries written, as long as
// each reason is one line of words separated by single spaces, the way Parse gives them.
func Write(w io.Writer, header []string, entries []Entry) error {
	var b strings.Builder
	for _, h := range header {
		b.WriteString(strings.TrimRight("# "+h, " ") + "\n")
	}
	width := 0
	for _, e := range entries {
		width = max(width, len(e.ID))
	}
	for _, e := range entries {
		fmt.Fprintf(&b, "%-*s  %s  %s\n", width, e.ID, e.Expires.Format(DateLayout), e.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Header is the comment every written file starts with: what the file is and its format.
var Header = []string{
	"Expected failures for contacts-conformance --expect: one entry a line,",
	"  <case id or requirement id>  <expires YYYY-MM-DD>  <reason: a ticket, free text>",
	"A listed failure does not fail the run until the entry expires; a listed case that passes",
	"fails the run as an unexpected pass until its line is removed. See docs/expectations.md.",
}
