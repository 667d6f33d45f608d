// Package report turns a run's results into the artefacts people read: a JSON results file (its
// schema is testdata/results.schema.json), JUnit XML, a self-contained HTML report, a Markdown
// summary and the Markdown requirement catalogue. Results arrive already redacted; the writers
// add nothing secret.
package report

import (
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

// Version is the suite's version, stamped into every report. A release is tagged "v" + Version,
// which `go install ...@v<Version>` installs (a test keeps the README, docs/ and the action in step).
const Version = "0.2.0"

// Run is everything a report says about one run.
type Run struct {
	SuiteVersion string            `json:"suite_version"`
	SpecSHA256   string            `json:"spec_sha256"`
	Target       string            `json:"target"`
	Started      time.Time         `json:"started"`
	Finished     time.Time         `json:"finished"`
	Seed         int64             `json:"seed"`
	Strict       bool              `json:"strict"`
	Config       map[string]string `json:"config"`
	// Endpoints are the operations of the document, in the order the reports list them.
	Endpoints []Endpoint     `json:"endpoints"`
	Summary   engine.Summary `json:"summary"`
	// Claim is what the run claims (--profile), and whether the results bear all of it out.
	Claim *Claim `json:"claim,omitempty"`
	// Preflight is what the run established before judging any case; when it failed, no case
	// was judged and the verdict is incomplete.
	Preflight *engine.Preflight `json:"preflight,omitempty"`
	// Exploration sums up the generative phase, whose findings are among the results.
	Exploration *engine.Exploration `json:"exploration,omitempty"`
	Results     []*engine.Result    `json:"results"`
	// InsecureTLS says the server's certificate was not verified (--insecure); Warnings are
	// what a reader must know before trusting the verdict.
	InsecureTLS bool     `json:"insecure_tls"`
	Warnings    []string `json:"warnings,omitempty"`

	// Build says which binary made the run, beside the suite version.
	Build Build `json:"build"`
	// Expectations are the expected failures of --expect and what became of each entry.
	Expectations *Expectations `json:"expectations,omitempty"`
	// Baseline is what changed since the run of --baseline.
	Baseline *Diff `json:"baseline,omitempty"`
}

// Build identifies the binary that made a run, from the build information Go stamps into it.
type Build struct {
	// Module is the main module's path; Version its version: the release tag for
	// `go install ...@v0.2.0`, a pseudo-version for a build of a clone, or "(devel)".
	Module  string `json:"module"`
	Version string `json:"version"`
	// Revision is the VCS commit, Time its date and Modified whether the tree had uncommitted
	// changes. They are unknown (left out) for a binary installed from the module proxy, whose
	// Version names the code instead.
	Revision string `json:"vcs_revision,omitempty"`
	Time     string `json:"vcs_time,omitempty"`
	Modified *bool  `json:"vcs_modified,omitempty"`
	// Go is the toolchain that built the binary.
	Go string `json:"go_version"`
}

// String is the build as one line: "module v0.2.0, revision 29386a3c..., modified: no, go1.26.8".
func (b Build) String() string {
	version, revision, modified := b.Version, b.Revision, "unknown"
	if version == "" {
		version = "unknown"
	}
	if revision == "" {
		revision = "unknown"
	}
	if b.Modified != nil {
		modified = yesNo(*b.Modified)
	}
	s := fmt.Sprintf("module %s, revision %s, modified: %s", version, revision, modified)
	if b.Go != "" {
		s += ", " + b.Go
	}
	return s
}

// Files are the reports --out writes, by file name.
var Files = []struct {
	Name  string
	Write func(io.Writer, *Run) error
}{
	{"junit.xml", JUnit}, {"results.json", JSON}, {"report.html", HTML}, {"summary.md", Markdown}, {"badge.svg", Badge},
}

// FileNames are the names of the reports --out writes.
func FileNames() []string {
	names := make([]string, len(Files))
	for i, f := range Files {
		names[i] = f.Name
	}
	return names
}

// resultsSchema is the JSON Schema of results.json: the tests hold every report to it, and verify
// every published one.
//
//go:embed results.schema.json
var resultsSchema []byte

// ResultsSchema is the JSON Schema of results.json.
func ResultsSchema() []byte { return resultsSchema }

// JSON writes the machine-readable results, with the verdict they come to.
func JSON(w io.Writer, run *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		*Run
		Verdict string `json:"verdict"`
	}{run, run.Verdict()})
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	// Properties carry the run's provenance in every suite, since many CI viewers show only the
	// suite a case belongs to.
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

// junitCounts are the attributes a suite and the whole run share.
type junitCounts struct {
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Disabled  int    `xml:"disabled,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr"`
}

func (c *junitCounts) add(o junitCounts) {
	c.Tests += o.Tests
	c.Failures += o.Failures
	c.Errors += o.Errors
	c.Skipped += o.Skipped
	c.Disabled += o.Disabled
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// JUnit writes one test suite per area: conformance failures as <failure>, harness errors as
// <error>, skips with their reason, cases left out by --run/--skip as <skipped type="disabled">,
// counted apart in the suite's disabled attribute, and cases outside the claim as <skipped
// type="not-claimed">. SHOULD-level warnings pass, with the finding in system-out; every
// failure's system-out holds the redacted exchange.
func JUnit(w io.Writer, run *Run) error {
	root := junitReport(run)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitReport is the JUnit document of the run.
func junitReport(run *Run) junitSuites {
	byArea := map[string]*junitSuite{}
	started := map[string]time.Time{}
	var areas []string
	root := junitSuites{Name: "contacts-conformance " + run.SuiteVersion, junitCounts: junitCounts{Time: seconds(run.Duration()), Timestamp: timestamp(run.Started)}}
	for _, r := range run.Results {
		s := byArea[r.Area]
		if s == nil {
			s = &junitSuite{Name: r.Area, Properties: properties(run)}
			byArea[r.Area] = s
			areas = append(areas, r.Area)
		}
		if !r.Started.IsZero() && (started[r.Area].IsZero() || r.Started.Before(started[r.Area])) {
			started[r.Area] = r.Started
		}
		c := junitCase{Name: r.ID, Classname: "conformance." + r.Area, Time: seconds(r.Duration)}
		switch r.Outcome {
		case engine.Fail:
			c.Failure = &junitMessage{Message: Headline(r), Type: "conformance", Text: Detail(r)}
			c.SystemOut = Exchange(r)
			s.Failures++
		case engine.Error:
			c.Error = &junitMessage{Message: r.Reason, Type: "harness", Text: r.Reason + "\n" + Detail(r)}
			c.SystemOut = Exchange(r)
			s.Errors++
		case engine.Skip:
			c.Skipped = &junitMessage{Message: r.Reason, Type: "skip"}
			s.Skipped++
		case engine.Disabled:
			c.Skipped = &junitMessage{Message: r.Reason, Type: "disabled"}
			s.Skipped++
			s.Disabled++
		case engine.NotClaimed:
			c.Skipped = &junitMessage{Message: r.Reason, Type: "not-claimed"}
			s.Skipped++
		case engine.Warn:
			c.SystemOut = "WARNING (SHOULD level, not failing without --strict)\n" + Detail(r) + "\n" + Exchange(r)
		case engine.ExpectedFail:
			// JUnit knows no expected failure; like pytest's xfail it is a skip of its own type,
			// so a dashboard neither counts it as passing nor turns red.
			c.Skipped = &junitMessage{Message: r.Reason, Type: "expected-failure"}
			c.SystemOut = "EXPECTED FAILURE (listed in the expectations file; not failing the run)\n" + Detail(r) + "\n" + Exchange(r)
			s.Skipped++
		}
		var notes strings.Builder
		for _, n := range r.Notes {
			notes.WriteString("note: " + n + "\n")
		}
		c.SystemOut = notes.String() + c.SystemOut
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	sort.Strings(areas)
	if p := preflightSuite(run); p != nil {
		root.add(p.junitCounts)
		root.Suites = append(root.Suites, *p)
	}
	if s := expectationsSuite(run); s != nil {
		byArea[s.Name] = s
		areas = append(areas, s.Name)
	}
	for _, a := range areas {
		s := byArea[a]
		var total time.Duration
		for _, r := range run.Results {
			if r.Area == a {
				total += r.Duration
			}
		}
		s.Time = seconds(total)
		s.Timestamp = timestamp(run.Started)
		if t := started[a]; !t.IsZero() {
			s.Timestamp = timestamp(t)
		}
		root.add(s.junitCounts)
		root.Suites = append(root.Suites, *s)
	}
	return root
}

// preflightSuite is the preflight as a test suite of its own, a case for each fact: a failed fact
// is the error that kept every case from being judged.
func preflightSuite(run *Run) *junitSuite {
	if run.Preflight == nil || len(run.Preflight.Facts) == 0 {
		return nil
	}
	s := &junitSuite{Name: "preflight", Properties: properties(run), junitCounts: junitCounts{Time: seconds(0), Timestamp: timestamp(run.Started)}}
	for _, f := range run.Preflight.Facts {
		c := junitCase{Name: "preflight/" + f.Check, Classname: "conformance.preflight", Time: seconds(0), SystemOut: f.Outcome + ": " + f.Detail}
		if f.Outcome == engine.FactFailed {
			c.Error = &junitMessage{Message: f.Detail, Type: "preflight", Text: f.Detail}
			s.Errors++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	return s
}

// expectationsSuite is a test suite of the expectations file's entries, after the areas: an entry
// that expects a failure that did not happen, or that expired, fails there, so a dashboard shows
// why a run whose cases all passed is red.
func expectationsSuite(run *Run) *junitSuite {
	e := run.Expectations
	if e == nil {
		return nil
	}
	s := &junitSuite{Name: "expectations", Properties: properties(run)}
	for _, entry := range e.Entries {
		c := junitCase{Name: e.Where(entry) + ": " + entry.ID, Classname: "conformance.expectations", Time: seconds(0)}
		switch entry.Status {
		case EntryUnexpectedPass, EntryExpired:
			c.Failure = &junitMessage{Message: entry.Message, Type: entry.Status, Text: entry.Message + "\nreason: " + entry.Reason + "\nexpires: " + entry.Expires}
			s.Failures++
		case EntryNotRun:
			c.Skipped = &junitMessage{Message: entry.Message, Type: entry.Status}
			s.Skipped++
		default:
			c.SystemOut = entry.Message
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	return s
}

// property is a property of the JUnit document: every suite carries the run's, the first says.
func property(doc junitSuites, name string) (string, bool) {
	if len(doc.Suites) == 0 {
		return "", false
	}
	for _, p := range doc.Suites[0].Properties {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

func properties(run *Run) []junitProperty {
	props := []junitProperty{
		{"suite_version", run.SuiteVersion}, {"build.module", run.Build.Module}, {"build.version", run.Build.Version},
		{"build.vcs_revision", run.Build.Revision}, {"build.vcs_modified", boolText(run.Build.Modified)}, {"build.go_version", run.Build.Go},
		{"spec_sha256", run.SpecSHA256}, {"verdict", run.Verdict()},
		{"target", run.Target}, {"seed", fmt.Sprint(run.Seed)},
		{"started", timestamp(run.Started)}, {"finished", timestamp(run.Finished)},
	}
	if c := run.Claim; c != nil {
		props = append(props, junitProperty{"claim", run.ClaimName()}, junitProperty{"claim.state", c.State}, junitProperty{"claim.reason", c.Reason})
	}
	for _, w := range run.Warnings {
		props = append(props, junitProperty{"warning", w})
	}
	if e := run.Expectations; e != nil {
		props = append(props, junitProperty{"expectations.file", e.File}, junitProperty{"expectations.sha256", e.SHA256})
	}
	if d := run.Baseline; d != nil {
		props = append(props, junitProperty{"baseline.file", d.Old.File}, junitProperty{"baseline.changes", d.Counts()})
	}
	for _, k := range run.ConfigKeys() {
		props = append(props, junitProperty{"config." + k, run.Config[k]})
	}
	return props
}

// Headline is what went wrong in a case, in one line: its first MUST finding, or its reason.
func Headline(r *engine.Result) string {
	for _, f := range r.Findings {
		if f.Level == "MUST" {
			return fmt.Sprintf("%s: expected %s, got %s", f.RequirementID, f.Expected, f.Actual)
		}
	}
	if len(r.Findings) > 0 {
		f := r.Findings[0]
		return fmt.Sprintf("%s: expected %s, got %s", f.RequirementID, f.Expected, f.Actual)
	}
	return r.Reason
}

// Detail is a result's findings and reproduction as plain text.
func Detail(r *engine.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(f.Describe())
	}
	if r.Curl != "" {
		fmt.Fprintf(&b, "reproduce: %s\n", r.Curl)
	}
	return b.String()
}

// Exchange is a result's redacted request and response as an HTTP/1.1-like transcript.
func Exchange(r *engine.Result) string {
	if r.Response == nil {
		return RequestText(r)
	}
	return RequestText(r) + "\n" + ResponseText(r)
}

// RequestText is the redacted request as it was sent, the credential spelled as a shell variable.
func RequestText(r *engine.Result) string {
	q := r.Request
	if q == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", q.Method, q.URL)
	for _, k := range slices.Sorted(maps.Keys(q.Headers)) {
		fmt.Fprintf(&b, "%s: %s\n", k, q.Headers[k])
	}
	if q.Body != "" {
		fmt.Fprintf(&b, "\n%s\n", q.Body)
	}
	return b.String()
}

// ResponseText is the redacted response, its body cut to a readable size.
func ResponseText(r *engine.Result) string {
	return responseText(r, func(body string) string { return body })
}

// responseText is the redacted response with its body passed through show.
func responseText(r *engine.Result, show func(body string) string) string {
	p := r.Response
	if p == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s\n", p.Status, http.StatusText(p.Status))
	for _, k := range slices.Sorted(maps.Keys(p.Headers)) {
		fmt.Fprintf(&b, "%s: %s\n", k, p.Headers[k])
	}
	fmt.Fprintf(&b, "\n%s\n", show(p.Body))
	if p.BodyTruncated {
		fmt.Fprintf(&b, "[body cut: %d bytes in all]\n", p.BodyBytes)
	}
	return b.String()
}
