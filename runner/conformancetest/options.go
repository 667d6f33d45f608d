package conformancetest

import (
	"os"
	"strconv"
	"time"

	"github.com/contacts-conformance/suite/runner/config"
)

// An Option changes how Run runs the suite. Each stands for one of the runner's flags and takes
// the same values; an option given twice keeps its last value (Redact adds up).
type Option struct{ apply func(*settings) }

// settings are the options as the runner's flags they stand for, validated together by Run with
// the runner's own rules, so that both accept the same values.
type settings struct {
	args []string
	// given records the flags an option set, so that a message names the option.
	given map[string]bool
	// getenv is the environment read beneath the options (FromEnv), or nil.
	getenv func(string) string
}

// flagged is the option that stands for the flag with the value.
func flagged(name string, value ...string) Option {
	return Option{func(s *settings) { s.flag(name, value...) }}
}

func (s *settings) flag(name string, value ...string) {
	if s.given == nil {
		s.given = map[string]bool{}
	}
	s.given[name] = true
	s.args = append(s.args, "--"+name)
	s.args = append(s.args, value...)
}

// labels name each option's value in an error, by the flag it stands for:
// `Concurrency(0) is not a positive integer`.
var labels = map[string]string{
	"strict": "Strict()", "run": "Select(%q)", "skip": "Skip(%q)", "concurrency": "Concurrency(%s)", "seed": "Seed(%s)",
	"explore": "Explore(%s)", "redact": "Redact(%q)", "expect": "Expect(%q)", "timeout": "Timeout(%s)",
	"deadline": "Deadline(%s)", "rate-limit": "RateLimit(%s)", "max-body": "MaxBody(%s)", "profile": "Profile(%q)",
}

// Strict makes SHOULD-level findings fail their subtests; without it they are logged as
// warnings and pass (--strict).
func Strict() Option { return flagged("strict") }

// Select runs only the cases whose id, title or requirement id the regular expression matches
// (--run): Select("AUTH-002") runs every case checking that requirement. The others are skipped
// subtests, named so that a log shows what was left out. go test -run selects by case id too,
// and sends nothing for the subtests it filters out.
func Select(expr string) Option { return flagged("run", expr) }

// Profile says what the test claims (--profile): "contacts", "campaigns:strict", or several,
// comma-separated; the default is "full". The cases outside the claim are not sent: they are
// skipped subtests, "not claimed".
func Profile(names string) Option { return flagged("profile", names) }

// Skip leaves out the cases whose id, title or requirement id the regular expression matches,
// after Select (--skip); they are skipped subtests.
func Skip(expr string) Option { return flagged("skip", expr) }

// Concurrency is how many cases are in flight at once (--concurrency, default 8), whatever go
// test's -parallel: the subtests only wait for their case's result. As many requests in a row
// without an answer end the run early.
func Concurrency(n int) Option {
	return flagged("concurrency", strconv.Itoa(n))
}

// Seed fixes the seed of the generated ids and inputs (--seed); without it the seed is the time,
// logged at the start so that a failing run can be repeated exactly.
func Seed(n int64) Option {
	return flagged("seed", strconv.FormatInt(n, 10))
}

// Explore is the budget of generated requests of the generative phase (--explore, default 100;
// 0 turns it off; at most 100000). Its results are the subtests under explore/.
func Explore(n int) Option {
	return flagged("explore", strconv.Itoa(n))
}

// Redact names further values that must never appear in the test's output, such as a webhook
// secret (--redact); each must have at least 4 characters. The token is always redacted.
func Redact(values ...string) Option {
	return Option{func(s *settings) {
		for _, v := range values {
			s.flag("redact", v)
		}
	}}
}

// Expect reads the team's expectations file (--expect; the format is the runner's, see
// docs/expectations.md): a listed failure is a skipped subtest saying "expected failure", and an
// entry out of date (an unexpected pass, an expiry date reached) fails the test.
func Expect(path string) Option { return flagged("expect", path) }

// Timeout bounds each request, from connecting to the last byte of the body (--timeout, default
// 10s).
func Timeout(d time.Duration) Option {
	return flagged("timeout", d.String())
}

// Deadline bounds the whole run (--deadline, default 10m): the cases not finished by then fail
// as errors.
func Deadline(d time.Duration) Option {
	return flagged("deadline", d.String())
}

// RateLimit caps the requests per second across the run, retries included (--rate-limit; 0.001
// to 1000000), for a shared staging server.
func RateLimit(perSecond float64) Option {
	return flagged("rate-limit", strconv.FormatFloat(perSecond, 'g', -1, 64))
}

// MaxBody caps a response body in bytes, after decompression (--max-body, default 4 MiB, at
// most 1 GiB), for a server with very large lists.
func MaxBody(n int64) Option {
	return flagged("max-body", strconv.FormatInt(n, 10))
}

// environment reads every CONFORMANCE_* variable beneath the options, and names the settings by
// their variables in messages.
func environment() Option { return Option{func(s *settings) { s.getenv = os.Getenv }} }

// FromEnv reads the target and the options from the CONFORMANCE_* environment variables, as the
// runner reads them without flags (docs/running.md, "Flags and environment"); the suite's own
// TestConformance is configured so. The Target's BaseURL is empty when CONFORMANCE_BASE_URL is
// unset: give it a Handler then. A CONFORMANCE_TOKEN_COMMAND renews the token as
// --token-command does. Options given after the returned ones win over the environment. Errors
// name the variable: CONFORMANCE_SEED="x" is not an integer.
func FromEnv() (Target, []Option, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return Target{}, nil, err
	}
	target := Target{
		BaseURL: cfg.BaseURL, Token: cfg.Token, ContactID: cfg.ContactID, ForeignContactID: cfg.ForeignContactID,
		tokenCommand: cfg.TokenCommand, fromEnv: true,
	}
	return target, []Option{environment()}, nil
}
