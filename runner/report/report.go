// Package report turns a run's results into the artefacts people read: the terminal text, a JSON
// results file and JUnit XML. Results arrive already redacted; the writers add nothing secret.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

// Version is the suite's version, stamped into every report.
const Version = "0.1.0"

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
	Summary      engine.Summary    `json:"summary"`
	Results      []*engine.Result  `json:"results"`
	// InsecureTLS says the server's certificate was not verified (--insecure); Warnings are
	// what a reader must know before trusting the verdict.
	InsecureTLS bool     `json:"insecure_tls"`
	Warnings    []string `json:"warnings,omitempty"`
}

// WriteFile writes a report atomically, so a crashed run never leaves half a file for CI to read.
func WriteFile(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".report-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}

// JSON writes the machine-readable results.
func JSON(w io.Writer, run *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
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

// JUnit writes one test suite per area: real failures as <failure>, harness errors as <error>,
// skips with their reason; SHOULD-level warnings pass, with the finding in system-out.
func JUnit(w io.Writer, run *Run) error {
	byArea := map[string]*junitSuite{}
	var areas []string
	root := junitSuites{Name: "contacts-conformance " + run.SuiteVersion, Time: seconds(run.Finished.Sub(run.Started))}
	for _, r := range run.Results {
		s := byArea[r.Area]
		if s == nil {
			s = &junitSuite{Name: r.Area, Timestamp: r.Started.UTC().Format(time.RFC3339), Properties: properties(run)}
			byArea[r.Area] = s
			areas = append(areas, r.Area)
		}
		c := junitCase{Name: r.ID, Classname: "conformance." + r.Area, Time: seconds(r.Duration)}
		switch r.Outcome {
		case engine.Fail:
			c.Failure = &junitMessage{Message: firstFinding(r), Type: "conformance", Text: Detail(r)}
			s.Failures++
		case engine.Error:
			c.Error = &junitMessage{Message: r.Reason, Type: "harness", Text: r.Reason}
			s.Errors++
		case engine.Skip:
			c.Skipped = &junitMessage{Message: r.Reason}
			s.Skipped++
		case engine.Warn:
			c.SystemOut = "WARNING (SHOULD level, not failing without --strict)\n" + Detail(r)
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
	for _, a := range areas {
		s := byArea[a]
		var total time.Duration
		for _, r := range run.Results {
			if r.Area == a {
				total += r.Duration
			}
		}
		s.Time = seconds(total)
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
		root.Suites = append(root.Suites, *s)
	}
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

func properties(run *Run) []junitProperty {
	props := []junitProperty{
		{"suite_version", run.SuiteVersion}, {"spec_sha256", run.SpecSHA256},
		{"target", run.Target}, {"seed", fmt.Sprint(run.Seed)}, {"started", run.Started.UTC().Format(time.RFC3339)},
	}
	for _, w := range run.Warnings {
		props = append(props, junitProperty{"warning", w})
	}
	var keys []string
	for k := range run.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		props = append(props, junitProperty{"config." + k, run.Config[k]})
	}
	return props
}

func firstFinding(r *engine.Result) string {
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
