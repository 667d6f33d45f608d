package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

// Diff is what changed between two runs, their cases matched by id: what a nightly job reads
// first. A case absent from one run has the empty outcome on that side.
type Diff struct {
	Old RunRef `json:"old"`
	New RunRef `json:"new"`
	// NewFailures fail now and did not before; Fixed failed (or failed as expected) and pass
	// now; StillFailing fail in both; Changed are the other changed outcomes.
	NewFailures  []CaseChange `json:"new_failures"`
	Fixed        []CaseChange `json:"fixed"`
	StillFailing []CaseChange `json:"still_failing"`
	Changed      []CaseChange `json:"changed"`
	// Settings are the differences of provenance and configuration: suite version, build,
	// spec, expectations file, and every configuration key.
	Settings []SettingChange `json:"settings"`
}

// RunRef names one side of a diff.
type RunRef struct {
	File         string    `json:"file,omitempty"`
	Started      time.Time `json:"started"`
	Verdict      string    `json:"verdict"`
	SuiteVersion string    `json:"suite_version"`
	Build        Build     `json:"build"`
}

// CaseChange is one case whose outcome changed, or that still fails; the requirements are those
// with findings on each side.
type CaseChange struct {
	ID              string         `json:"id"`
	Old             engine.Outcome `json:"old,omitempty"`
	New             engine.Outcome `json:"new,omitempty"`
	OldRequirements []string       `json:"old_requirements,omitempty"`
	NewRequirements []string       `json:"new_requirements,omitempty"`
}

// SettingChange is one setting that differs; an empty side was not set (or not recorded).
type SettingChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// Compare is the diff from old to new; the files are the paths the runs were read from.
func Compare(old, new *Run, oldFile, newFile string) *Diff {
	d := &Diff{Old: refOf(old, oldFile), New: refOf(new, newFile),
		NewFailures: []CaseChange{}, Fixed: []CaseChange{}, StillFailing: []CaseChange{}, Changed: []CaseChange{}}
	before := map[string]*engine.Result{}
	for _, r := range old.Results {
		before[r.ID] = r
	}
	seen := map[string]bool{}
	for _, r := range new.Results {
		seen[r.ID] = true
		d.add(before[r.ID], r)
	}
	for _, r := range old.Results {
		if !seen[r.ID] {
			d.add(r, nil)
		}
	}
	d.Settings = settingChanges(old, new)
	return d
}

func refOf(run *Run, file string) RunRef {
	return RunRef{File: file, Started: run.Started, Verdict: run.Verdict(), SuiteVersion: run.SuiteVersion, Build: run.Build}
}

func (d *Diff) add(old, new *engine.Result) {
	var c CaseChange
	if old != nil {
		c.ID, c.Old, c.OldRequirements = old.ID, old.Outcome, requirementIDs(old)
	}
	if new != nil {
		c.ID, c.New, c.NewRequirements = new.ID, new.Outcome, requirementIDs(new)
	}
	good := func(o engine.Outcome) bool { return o == engine.Pass || o == engine.Warn }
	switch {
	case c.New == engine.Fail && c.Old == engine.Fail:
		d.StillFailing = append(d.StillFailing, c)
	case c.New == engine.Fail:
		d.NewFailures = append(d.NewFailures, c)
	case (c.Old == engine.Fail || c.Old == engine.ExpectedFail) && good(c.New):
		d.Fixed = append(d.Fixed, c)
	case c.Old != c.New:
		d.Changed = append(d.Changed, c)
	}
}

func settingChanges(old, new *Run) []SettingChange {
	changes := []SettingChange{}
	add := func(name, a, b string) {
		if a != b {
			changes = append(changes, SettingChange{name, a, b})
		}
	}
	add("suite_version", old.SuiteVersion, new.SuiteVersion)
	add("build.version", old.Build.Version, new.Build.Version)
	add("build.vcs_revision", old.Build.Revision, new.Build.Revision)
	add("build.vcs_modified", boolText(old.Build.Modified), boolText(new.Build.Modified))
	add("spec_sha256", old.SpecSHA256, new.SpecSHA256)
	add("expectations.sha256", expectationsHash(old), expectationsHash(new))
	keys := slices.Sorted(maps.Keys(old.Config))
	for k := range new.Config {
		if _, ok := old.Config[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		add("config."+k, old.Config[k], new.Config[k])
	}
	return changes
}

func boolText(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func expectationsHash(run *Run) string {
	if run.Expectations == nil {
		return ""
	}
	return run.Expectations.SHA256
}

// HasNewFailures reports whether a case fails now that did not before: a nightly's alarm.
func (d *Diff) HasNewFailures() bool { return len(d.NewFailures) > 0 }

// Counts is the diff in one line: "1 new failure, 0 fixed, 2 still failing, 0 other changes".
func (d *Diff) Counts() string {
	failures := "new failures"
	if len(d.NewFailures) == 1 {
		failures = "new failure"
	}
	changes := "other changes"
	if len(d.Changed) == 1 {
		changes = "other change"
	}
	return fmt.Sprintf("%d %s, %d fixed, %d still failing, %d %s", len(d.NewFailures), failures, len(d.Fixed), len(d.StillFailing), len(d.Changed), changes)
}

// DiffSection is one group of changed cases, as every rendering lists them.
type DiffSection struct {
	Title string
	Cases []CaseChange
}

// Sections are the groups of changed cases, in the order every rendering lists them.
func (d *Diff) Sections() []DiffSection {
	return []DiffSection{
		{"new failures", d.NewFailures}, {"fixed", d.Fixed}, {"still failing", d.StillFailing}, {"other changed outcomes", d.Changed},
	}
}

// OutcomeText is an outcome as the diff shows it, "(absent)" for a case one run did not have.
func OutcomeText(o engine.Outcome) string {
	if o == "" {
		return "(absent)"
	}
	return string(o)
}

// Transition is a case's change in words: "pass -> fail (OK-002)".
func (c CaseChange) Transition() string {
	s := OutcomeText(c.Old) + " -> " + OutcomeText(c.New)
	switch {
	case c.New == engine.Fail || c.New == engine.ExpectedFail:
		if len(c.NewRequirements) > 0 {
			s += " (" + strings.Join(c.NewRequirements, ", ") + ")"
		}
		if c.Old == c.New && !slices.Equal(c.OldRequirements, c.NewRequirements) {
			s += ", before: " + strings.Join(c.OldRequirements, ", ")
		}
	case len(c.OldRequirements) > 0:
		s += " (was " + strings.Join(c.OldRequirements, ", ") + ")"
	}
	return s
}

// describe is one side of the diff: "old.json: 2025-03-01T02:00:00Z, not conformant, suite 0.2.0 (module ...)".
func (r RunRef) describe() string {
	name := r.File
	if name == "" {
		name = "this run"
	}
	return fmt.Sprintf("%s: %s, %s, suite %s (%s)", name, timestamp(r.Started), r.Verdict, r.SuiteVersion, r.Build)
}

// WriteDiffText writes the diff for a terminal: both runs, the changed settings, then each group
// of cases, then the counts.
func WriteDiffText(w io.Writer, d *Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "old  %s\nnew  %s\n", d.Old.describe(), d.New.describe())
	if len(d.Settings) > 0 {
		fmt.Fprintf(&b, "\nchanged settings (%d):\n", len(d.Settings))
		for _, s := range d.Settings {
			fmt.Fprintf(&b, "  %s: %s -> %s\n", s.Name, settingText(s.Old), settingText(s.New))
		}
	}
	for _, s := range d.Sections() {
		if len(s.Cases) == 0 {
			fmt.Fprintf(&b, "\n%s: none\n", s.Title)
			continue
		}
		fmt.Fprintf(&b, "\n%s (%d):\n", s.Title, len(s.Cases))
		for _, c := range s.Cases {
			fmt.Fprintf(&b, "  %s  %s\n", c.ID, c.Transition())
		}
	}
	fmt.Fprintf(&b, "\n%s\n", d.Counts())
	_, err := io.WriteString(w, b.String())
	return err
}

// settingText shows an unset setting as such rather than as nothing.
func settingText(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// markdownDiff is the diff as the top of summary.md: the counts, a table of the changed cases
// (the first MaxMarkdownProblems; report.html has them all) and the changed settings.
func markdownDiff(b *strings.Builder, d *Diff) {
	fmt.Fprintf(b, "### Since the baseline\n\nCompared with %s (%s, %s): **%s**.\n\n",
		code(d.Old.File), timestamp(d.Old.Started), text(d.Old.Verdict), d.Counts())
	var rows []string
	for _, s := range d.Sections() {
		for _, c := range s.Cases {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", s.Title, cell(code(c.ID)), cell(text(c.Transition()))))
		}
	}
	if len(rows) > 0 {
		b.WriteString("| change | case | outcome |\n|---|---|---|\n")
		for i, row := range rows {
			if i == MaxMarkdownProblems {
				fmt.Fprintf(b, "\n%d more in report.html and results.json.\n", len(rows)-i)
				break
			}
			b.WriteString(row)
		}
		b.WriteString("\n")
	}
	if len(d.Settings) > 0 {
		var parts []string
		for _, s := range d.Settings {
			parts = append(parts, fmt.Sprintf("%s %s %s %s", code(s.Name), code(settingText(s.Old)), text("->"), code(settingText(s.New))))
		}
		fmt.Fprintf(b, "Changed settings: %s.\n\n", strings.Join(parts, "; "))
	}
}
