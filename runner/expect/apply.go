package expect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/suites"
)

// Judge applies the file to one case that has ended, on the day given. A failure whose every
// failing finding an entry excuses (the case's own entry, or one entry per requirement) becomes an
// expected failure: its findings stay, and its reason names the entries. Notes say what else the
// file says of the case: an expired entry, a requirement excused while another still fails, an
// unexpected pass, a listed case that did not run. strict says whether SHOULD-level findings fail.
func (f *File) Judge(r *engine.Result, strict bool, today time.Time) {
	own, listed := f.entry(r.ID)
	switch r.Outcome {
	case engine.Fail:
		f.judgeFailure(r, own, listed, strict, today)
	case engine.Pass:
		if !listed {
			return
		}
		if own.Expired(today) {
			r.Notes = append(r.Notes, fmt.Sprintf("%s expired on %s, and the case passes: remove the line", f.where(own), date(own.Expires)))
			return
		}
		r.Notes = append(r.Notes, fmt.Sprintf("unexpected pass: %s expects this case to fail, and it passed; the expectations file is out of date: remove the line", f.where(own)))
	case engine.Warn:
		if listed {
			r.Notes = append(r.Notes, fmt.Sprintf("%s lists this case; it missed SHOULD-level requirements only, a warning that does not fail the run without --strict", f.where(own)))
		}
	default:
		if listed {
			r.Notes = append(r.Notes, fmt.Sprintf("%s lists this case, but it %s: neither excused nor an unexpected pass", f.where(own), didNotRun(r.Outcome)))
		}
	}
}

func (f *File) judgeFailure(r *engine.Result, own Entry, listed, strict bool, today time.Time) {
	if listed {
		if !own.Expired(today) {
			r.Outcome, r.Reason = engine.ExpectedFail, "expected failure: "+f.excuse(own)
			return
		}
		r.Notes = append(r.Notes, f.expiredNote(own))
	}
	var excused []string
	var unexcused []string
	for _, finding := range r.Findings {
		if finding.Level != suites.Must && !strict {
			continue // a warning inside a failing case needs no excuse
		}
		id := finding.RequirementID
		if slices.Contains(excused, id) || slices.Contains(unexcused, id) {
			continue
		}
		e, ok := f.entry(id)
		switch {
		case ok && !e.Expired(today):
			excused = append(excused, id)
		case ok:
			r.Notes = append(r.Notes, f.expiredNote(e))
			unexcused = append(unexcused, id)
		default:
			unexcused = append(unexcused, id)
		}
	}
	var reasons []string
	for _, id := range excused {
		e, _ := f.entry(id)
		reasons = append(reasons, id+", "+f.excuse(e))
	}
	switch {
	case len(excused) > 0 && len(unexcused) == 0:
		r.Outcome, r.Reason = engine.ExpectedFail, "expected failure of "+strings.Join(reasons, "; ")
	case len(excused) > 0:
		r.Notes = append(r.Notes, fmt.Sprintf("the findings of %s are expected (%s), but the case also fails %s, which no entry excuses",
			strings.Join(excused, ", "), strings.Join(reasons, "; "), strings.Join(unexcused, ", ")))
	}
}

// Settle records what became of every entry once every case has ended: matched, an unexpected
// pass, expired, or not run. checks maps each case id to the requirements it checks, which a
// requirement entry needs to tell "passed" from "never ran".
func (f *File) Settle(results []*engine.Result, checks map[string][]string, today time.Time) *report.Expectations {
	byID := map[string]*engine.Result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	out := &report.Expectations{File: f.Name, SHA256: f.SHA256, EvaluatedOn: Day(today).Format(DateLayout), Entries: []report.ExpectEntry{}}
	for _, e := range f.Entries {
		entry := report.ExpectEntry{Line: e.Line, ID: e.ID, Kind: report.KindCase, Expires: date(e.Expires), Reason: e.Reason}
		if e.Requirement {
			entry.Kind = report.KindRequirement
			f.settleRequirement(&entry, e, results, checks)
		} else {
			f.settleCase(&entry, e, byID[e.ID])
		}
		if e.Expired(today) {
			entry.Status = report.EntryExpired
			if len(entry.Cases) > 0 {
				entry.Message = fmt.Sprintf("expired on %s: it excuses nothing, and %s still %s; fix the failure, or give the entry a later date",
					date(e.Expires), casesText(len(entry.Cases)), plural(len(entry.Cases), "fails", "fail"))
			} else {
				entry.Message = fmt.Sprintf("expired on %s, and the failure it lists did not happen in this run: remove line %d of %s", date(e.Expires), e.Line, f.Name)
			}
		}
		out.Entries = append(out.Entries, entry)
	}
	return out
}

func (f *File) settleCase(entry *report.ExpectEntry, e Entry, r *engine.Result) {
	switch {
	case r == nil:
		entry.Status, entry.Message = report.EntryNotRun, "the case is not in this run: neither excused nor an unexpected pass"
	case r.Outcome == engine.ExpectedFail || r.Outcome == engine.Fail || r.Outcome == engine.Warn:
		entry.Status, entry.Cases = report.EntryMatched, []string{r.ID}
		entry.Message = "the case failed as listed, and is excused"
		if r.Outcome == engine.Warn {
			entry.Message = "the case missed SHOULD-level requirements only: a warning, which does not fail the run without --strict"
		}
	case r.Outcome == engine.Pass:
		entry.Status = report.EntryUnexpectedPass
		entry.Message = fmt.Sprintf("unexpected pass: the case passed; the failure this entry expects is gone and the expectations file is out of date: remove line %d of %s", e.Line, f.Name)
	default:
		entry.Status = report.EntryNotRun
		entry.Message = fmt.Sprintf("the case %s: neither excused nor an unexpected pass", didNotRun(r.Outcome))
	}
}

func (f *File) settleRequirement(entry *report.ExpectEntry, e Entry, results []*engine.Result, checks map[string][]string) {
	var ran, errored, stillFailing int
	for _, r := range results {
		if slices.ContainsFunc(r.Findings, func(fd engine.Finding) bool { return fd.RequirementID == e.ID }) {
			entry.Cases = append(entry.Cases, r.ID)
			if r.Outcome == engine.Fail {
				stillFailing++
			}
			continue
		}
		if !slices.Contains(checks[r.ID], e.ID) {
			continue
		}
		switch r.Outcome {
		case engine.Error:
			errored++
		case engine.Pass, engine.Warn, engine.Fail, engine.ExpectedFail:
			ran++
		}
	}
	switch {
	case len(entry.Cases) > 0:
		entry.Status = report.EntryMatched
		entry.Message = fmt.Sprintf("%s showed the failure, excused there", casesText(len(entry.Cases)))
		if stillFailing > 0 {
			entry.Message += fmt.Sprintf("; %s of them still %s for requirements no entry excuses", casesText(stillFailing), plural(stillFailing, "fails", "fail"))
		}
	case errored > 0:
		entry.Status = report.EntryNotRun
		entry.Message = fmt.Sprintf("%s checking %s ended in errors and none failed it: the run cannot tell whether the failure is gone", casesText(errored), e.ID)
	case ran == 0:
		entry.Status = report.EntryNotRun
		entry.Message = fmt.Sprintf("no case checking %s was run: neither excused nor an unexpected pass", e.ID)
	default:
		entry.Status = report.EntryUnexpectedPass
		entry.Message = fmt.Sprintf("unexpected pass: no case checking %s failed it (%s run); the failure this entry expects is gone and the expectations file is out of date: remove line %d of %s",
			e.ID, casesText(ran), e.Line, f.Name)
	}
}

func (f *File) entry(id string) (Entry, bool) {
	for _, e := range f.Entries {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

func (f *File) where(e Entry) string { return fmt.Sprintf("%s line %d", f.Name, e.Line) }

// excuse names an entry where a report shows an expected failure.
func (f *File) excuse(e Entry) string {
	return fmt.Sprintf("%s (expires %s): %s", f.where(e), date(e.Expires), e.Reason)
}

func (f *File) expiredNote(e Entry) string {
	return fmt.Sprintf("%s expired on %s and excuses nothing: fix the failure, or give the entry a later date", f.where(e), date(e.Expires))
}

func didNotRun(o engine.Outcome) string {
	switch o {
	case engine.Skip:
		return "was skipped"
	case engine.Disabled:
		return "was not selected"
	case engine.Error:
		return "ended in an error"
	case engine.NotClaimed:
		return "is outside the claimed profiles"
	}
	return "did not run"
}

func date(t time.Time) string { return t.Format(DateLayout) }

func casesText(n int) string { return fmt.Sprintf("%d %s", n, plural(n, "case", "cases")) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
