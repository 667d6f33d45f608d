package engine

import (
	"cmp"
	"regexp"
	"strings"

	"github.com/contacts-conformance/suite/suites"
)

// Disabled means the user left the case out (--run, --skip): nothing was sent. It is kept apart
// from Skip, which means the configuration lacks what the case needs, so a published report
// shows which checks the vendor chose not to run.
const Disabled Outcome = "disabled"

// NotClaimed means the case's operation is outside the profiles the run claims (--profile):
// nothing was sent, and the case says nothing of the server either way. It is kept apart from
// Disabled, a case the vendor left out of what it claims.
const NotClaimed Outcome = "not-claimed"

// Selection is the user's choice of cases. A case is selected when its id, its title or the id of
// a requirement it checks matches Run (when set), and none of them matches Skip.
type Selection struct {
	Run, Skip *regexp.Regexp
	// RunName and SkipName say how the user gave the expressions, for the reason a left-out case
	// shows: --run and --skip when empty, CONFORMANCE_RUN or conformancetest.Select elsewhere.
	RunName, SkipName string
}

// Selects reports whether the case is to run; a case outside the claim never is.
func (s Selection) Selects(c *suites.Case) bool {
	if c.Unclaimed != "" {
		return false
	}
	if s.Run != nil && !matchesCase(s.Run, c) {
		return false
	}
	return s.Skip == nil || !matchesCase(s.Skip, c)
}

// Count is how many of the cases are selected.
func (s Selection) Count(cases []*suites.Case) int {
	n := 0
	for _, c := range cases {
		if s.Selects(c) {
			n++
		}
	}
	return n
}

func (s Selection) reason() string {
	var by []string
	if s.Run != nil {
		by = append(by, cmp.Or(s.RunName, "--run")+" "+s.Run.String())
	}
	if s.Skip != nil {
		by = append(by, cmp.Or(s.SkipName, "--skip")+" "+s.Skip.String())
	}
	return "not selected by " + strings.Join(by, " ")
}

func matchesCase(re *regexp.Regexp, c *suites.Case) bool {
	if re.MatchString(c.ID) || re.MatchString(c.Title) {
		return true
	}
	for _, r := range c.Requirements() {
		if re.MatchString(r.ID) {
			return true
		}
	}
	return false
}
