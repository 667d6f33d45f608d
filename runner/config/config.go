// Package config is the one typed configuration of a run: each setting has a flag and an
// environment variable, flags win over the environment, and everything is validated once, before
// anything is sent. Both drivers (the runner binary and `go test ./suites/...`) read it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

// Config is everything a run needs.
type Config struct {
	BaseURL          string
	Token            string
	ContactID        string
	ForeignContactID string
	JSONFile         string
	JUnitFile        string
	Timeout          time.Duration
	Seed             int64
	Concurrency      int
	MaxBody          int64
	Strict           bool
	Redact           []string
	List             bool
	Verbose          bool
	Quiet            bool
	// Explore is the budget of generated requests; 0 turns the generative phase off.
	Explore int
	// Safety bounds the run and secures its connection (safety.go).
	Safety
	// Comparison holds the expectations file and the baseline (compare.go).
	Comparison
	// Publication holds the claimed profiles and the signing key (publish.go).
	Publication
	// SeedSet records whether the seed was chosen by the user, for the report.
	SeedSet bool

	// Selection, reports and renewable tokens.
	//
	// Run and Skip select cases by id, title or requirement id (nil: no constraint).
	Run, Skip *regexp.Regexp
	// RunName and SkipName say how they were given (--run, CONFORMANCE_RUN), for the reason a
	// case left out shows.
	RunName, SkipName string
	// OutDir receives every report at once (junit.xml, results.json, report.html, summary.md).
	OutDir string
	// TokenCommand is run with sh -c to obtain the token, and again when it expires.
	TokenCommand string
	// ListMarkdown prints the requirement catalogue as the Markdown of docs/requirements.md.
	ListMarkdown bool
}

// MaxConcurrency bounds --concurrency: each request in flight holds a connection, opened ahead of
// the run, and a few hundred is what a staging server should ever see from one client.
const MaxConcurrency = 256

// MaxMaxBody bounds --max-body: the body is held in memory, and the cap is meant to protect it.
const MaxMaxBody = 1 << 30

// MinRedactLength is the shortest --redact value: a shorter one cannot be redacted without
// garbling ordinary text (tokens have engine.MinTokenLength).
const MinRedactLength = 4

// Setting documents one configurable value; a test checks that docs/running.md's flag table names
// each.
type Setting struct {
	Flag, Env, Help string
}

// Settings lists every flag with its environment variable.
var Settings = []Setting{
	{"--base-url", "CONFORMANCE_BASE_URL", "base URL of the server under test, path prefix allowed; empty starts the embedded reference server"},
	{"--token", "CONFORMANCE_TOKEN", "bearer token; never printed"},
	{"--contact-id", "CONFORMANCE_CONTACT_ID", "a contact the token can see (only ever read)"},
	{"--foreign-contact-id", "CONFORMANCE_FOREIGN_CONTACT_ID", "a contact of another company (only ever read)"},
	{"--json", "CONFORMANCE_JSON", "write the results as JSON to this file"},
	{"--junit", "CONFORMANCE_JUNIT", "write the results as JUnit XML to this file"},
	{"--timeout", "CONFORMANCE_TIMEOUT", "per-request timeout, from connecting to the last byte of the body (Go duration, default 10s)"},
	{"--seed", "CONFORMANCE_SEED", "seed of the generated ids (default: the current time, printed)"},
	{"--concurrency", "CONFORMANCE_CONCURRENCY", "cases in flight at once (default 8)"},
	{"--max-body", "CONFORMANCE_MAX_BODY", "cap on a response body in bytes, after decompression (default 4194304)"},
	{"--deadline", "CONFORMANCE_DEADLINE", "bound on the whole run (Go duration, default 10m); cases not finished by then end as errors"},
	{"--rate-limit", "CONFORMANCE_RATE_LIMIT", "at most this many requests per second across the run (default: no cap)"},
	{"--ca-cert", "CONFORMANCE_CA_CERT", "PEM file of a private CA to trust besides the system's"},
	{"--insecure", "CONFORMANCE_INSECURE", "do not verify the server's TLS certificate (loudly reported; never against production)"},
	{"--strict", "CONFORMANCE_STRICT", "SHOULD-level findings fail the run"},
	{"--redact", "CONFORMANCE_REDACT", "a further value never to print (repeatable; comma-separated in the environment)"},
	{"--token-command", "CONFORMANCE_TOKEN_COMMAND", "command (run with sh -c) whose output is the token; run again when the token expires"},
	{"--run", "CONFORMANCE_RUN", "run only the cases whose id, title or requirement id matches this regular expression"},
	{"--skip", "CONFORMANCE_SKIP", "leave out the cases whose id, title or requirement id matches this regular expression"},
	{"--out", "CONFORMANCE_OUT", "write every report to this directory: junit.xml, results.json, report.html, summary.md, badge.svg"},
	{"--explore", "CONFORMANCE_EXPLORE", "generated requests of the generative phase, drawn from the parameters' schemas with the seed (default 100; 0 turns it off)"},
	{"--expect", "CONFORMANCE_EXPECT", "file of expected failures (case or requirement id, expiry date, reason a line): they do not fail the run"},
	{"--baseline", "CONFORMANCE_BASELINE", "an earlier run's results.json: the reports start with what changed since"},
	{"--profile", "CONFORMANCE_PROFILE", "the profiles the run claims, NAME[:strict][,NAME...] (default full); cases outside them are not claimed and not sent"},
	{"--sign-key", "CONFORMANCE_SIGN_KEY", "an Ed25519 private key (PKCS#8 PEM) that signs the reports of --out (signature.json); never printed"},
}

// ErrHelp is returned when the user asked for help; the usage has been printed.
var ErrHelp = flag.ErrHelp

// Parse reads the flags, falling back to the environment for what they leave unset. An error
// names the setting as it was given: the flag (--seed "x"), or the environment variable
// (CONFORMANCE_SEED="x").
func Parse(args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	return parseWith(args, getenv, usage, nil)
}

// ParseOptions is Parse for a program that takes the settings in its own terms rather than as
// flags, such as runner/conformancetest's options: args are the flags those options stand for,
// and labels say how an error names each flag's value, by flag name: labels["concurrency"] =
// "Concurrency(%s)" gives `Concurrency(0) is not a positive integer`. getenv may be nil.
func ParseOptions(args []string, getenv func(string) string, labels map[string]string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return parseWith(args, getenv, io.Discard, labels)
}

// source says how each setting was given, so that an error names it as the user wrote it.
type source struct {
	set    map[string]bool
	labels map[string]string
}

// value names a setting and its value as given: --seed "x", CONFORMANCE_SEED="x", or the label
// of a flag, Seed(x).
func (s source) value(name, v string) string { return s.show(name, v, "%q") }

// number is value for a number, which needs no quotes: --max-body 5, CONFORMANCE_MAX_BODY=5.
func (s source) number(name, v string) string { return s.show(name, v, "%s") }

func (s source) show(name, v, verb string) string {
	switch {
	case s.set[name] && s.labels[name] != "":
		return fmt.Sprintf(s.labels[name], v)
	case s.set[name]:
		return fmt.Sprintf("--%s "+verb, name, v)
	}
	return fmt.Sprintf("%s="+verb, envName(name), v)
}

// name names a setting alone, as given: --ca-cert, CONFORMANCE_CA_CERT, or its label's name.
func (s source) name(name string) string {
	switch {
	case s.set[name] && s.labels[name] != "":
		label, _, _ := strings.Cut(s.labels[name], "(")
		return label
	case s.set[name]:
		return "--" + name
	}
	return envName(name)
}

func (s source) fromEnv(name string) bool { return !s.set[name] }

func parseWith(args []string, getenv func(string) string, usage io.Writer, labels map[string]string) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	// The flag package's own messages come with the whole usage; the caller prints one line.
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.BaseURL, "base-url", "", "")
	fs.StringVar(&c.Token, "token", "", "")
	fs.StringVar(&c.ContactID, "contact-id", "", "")
	fs.StringVar(&c.ForeignContactID, "foreign-contact-id", "", "")
	fs.StringVar(&c.JSONFile, "json", "", "")
	fs.StringVar(&c.JUnitFile, "junit", "", "")
	timeout := fs.String("timeout", "", "")
	seed := fs.String("seed", "", "")
	concurrency := fs.String("concurrency", "", "")
	maxBody := fs.String("max-body", "", "")
	fs.BoolVar(&c.Strict, "strict", false, "")
	fs.Func("redact", "", func(v string) error { c.Redact = append(c.Redact, v); return nil })
	fs.BoolVar(&c.List, "list", false, "")
	fs.BoolVar(&c.Verbose, "v", false, "")
	fs.BoolVar(&c.Quiet, "quiet", false, "")
	resolveExtras := c.defineExtraFlags(fs)
	safety := c.Safety.register(fs)
	resolveComparison := c.Comparison.register(fs)
	resolvePublication := c.Publication.register(fs)
	resolveExplore := c.registerExplore(fs)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			PrintUsage(usage)
			return nil, ErrHelp
		}
		return nil, errors.New(firstLine(err.Error()))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags start with --; see --help)", fs.Arg(0))
	}
	given := source{set: map[string]bool{}, labels: labels}
	fs.Visit(func(f *flag.Flag) { given.set[f.Name] = true })
	env := func(name string, dst *string) {
		if given.fromEnv(name) {
			*dst = getenv(envName(name))
		}
	}
	env("base-url", &c.BaseURL)
	env("token", &c.Token)
	env("contact-id", &c.ContactID)
	env("foreign-contact-id", &c.ForeignContactID)
	env("json", &c.JSONFile)
	env("junit", &c.JUnitFile)
	env("timeout", timeout)
	env("seed", seed)
	env("concurrency", concurrency)
	env("max-body", maxBody)
	resolveComparison(env)
	if err := resolveExplore(env, given); err != nil {
		return nil, err
	}
	if err := resolveExtras(given, env); err != nil {
		return nil, err
	}
	if err := resolvePublication(env, c.OutDir); err != nil {
		return nil, err
	}
	if err := boolFromEnv("strict", given.set, getenv, &c.Strict); err != nil {
		return nil, err
	}
	if given.fromEnv("redact") {
		for _, v := range strings.Split(getenv("CONFORMANCE_REDACT"), ",") {
			if v = strings.TrimSpace(v); v != "" {
				c.Redact = append(c.Redact, v)
			}
		}
	}
	var err error
	if c.Timeout, err = duration(given.value("timeout", *timeout), *timeout, 10*time.Second); err != nil {
		return nil, err
	}
	if *seed == "" {
		c.Seed = time.Now().UnixNano()
	} else if c.Seed, err = strconv.ParseInt(*seed, 10, 64); err != nil {
		return nil, fmt.Errorf("%s is not an integer", given.value("seed", *seed))
	} else {
		c.SeedSet = true
	}
	if c.Concurrency, err = positive(given.value("concurrency", *concurrency), *concurrency, 8); err != nil {
		return nil, err
	}
	if c.Concurrency > MaxConcurrency {
		return nil, fmt.Errorf("%s is more than %d requests in flight; every one holds a connection to the server, and a suite is not a load test", given.number("concurrency", *concurrency), MaxConcurrency)
	}
	mb, err := positive(given.value("max-body", *maxBody), *maxBody, 4<<20)
	if err != nil {
		return nil, err
	}
	if mb > MaxMaxBody {
		return nil, fmt.Errorf("%s is more than %d bytes (1 GiB); a response that large is not one to validate in memory", given.number("max-body", *maxBody), MaxMaxBody)
	}
	c.MaxBody = int64(mb)
	if err := safety.resolve(given, getenv); err != nil {
		return nil, err
	}
	c.BaseURL = strings.TrimSpace(c.BaseURL)
	if c.Token != "" {
		// The same rules as a token printed by --token-command; the value is never quoted.
		subject := "the token"
		if given.fromEnv("token") {
			subject = envName("token")
		}
		if err := engine.CheckToken(subject, c.Token); err != nil {
			return nil, err
		}
	}
	for _, v := range c.Redact {
		if len(v) < MinRedactLength {
			redact := given.value("redact", v)
			if given.fromEnv("redact") {
				redact = fmt.Sprintf("the value %q of %s", v, envName("redact"))
			}
			return nil, fmt.Errorf("%s is shorter than %d characters; redacting it would garble every report", redact, MinRedactLength)
		}
	}
	if c.BaseURL != "" && c.Token == "" && c.TokenCommand == "" {
		if given.fromEnv("base-url") {
			return nil, errors.New("CONFORMANCE_BASE_URL needs a token: set CONFORMANCE_TOKEN or CONFORMANCE_TOKEN_COMMAND")
		}
		return nil, errors.New("--base-url needs a token: set --token, --token-command or CONFORMANCE_TOKEN")
	}
	return c, nil
}

// defineExtraFlags registers the flags of selection, reports and renewable tokens; the function
// it returns reads their environment variables and validates them, once the flags are parsed.
func (c *Config) defineExtraFlags(fs *flag.FlagSet) func(given source, env func(string, *string)) error {
	var run, skip string
	fs.StringVar(&run, "run", "", "")
	fs.StringVar(&skip, "skip", "", "")
	fs.StringVar(&c.OutDir, "out", "", "")
	fs.StringVar(&c.TokenCommand, "token-command", "", "")
	fs.BoolVar(&c.ListMarkdown, "list-markdown", false, "")
	return func(given source, env func(string, *string)) error {
		env("run", &run)
		env("skip", &skip)
		env("out", &c.OutDir)
		env("token-command", &c.TokenCommand)
		var err error
		if c.Run, err = Pattern(given.value("run", run), run); err != nil {
			return err
		}
		if c.Skip, err = Pattern(given.value("skip", skip), skip); err != nil {
			return err
		}
		c.RunName, c.SkipName = given.name("run"), given.name("skip")
		// The token and the command are one setting: a flag wins over the other's variable.
		switch {
		case c.Token == "" || c.TokenCommand == "":
		case given.set["token-command"] && !given.set["token"]:
			c.Token = ""
		case given.set["token"] && !given.set["token-command"]:
			c.TokenCommand = ""
		case given.fromEnv("token"):
			return errors.New("both CONFORMANCE_TOKEN and CONFORMANCE_TOKEN_COMMAND are set; give one")
		default:
			return errors.New("both a token and a token command are set; give one of --token and --token-command")
		}
		if c.Verbose && c.Quiet {
			return errors.New("-v and --quiet contradict each other; give one")
		}
		return nil
	}
}

// Pattern compiles a selecting expression (--run, --skip); subject names it in the error, as
// given: --run "auth/(".
func Pattern(subject, v string) (*regexp.Regexp, error) {
	if v == "" {
		return nil, nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		var serr *syntax.Error
		if errors.As(err, &serr) {
			return nil, fmt.Errorf("%s is not a valid regular expression: %s", subject, serr.Code)
		}
		return nil, fmt.Errorf("%s is not a valid regular expression", subject)
	}
	return re, nil
}

// boolFromEnv reads a boolean flag's environment variable when the flag was not given.
func boolFromEnv(name string, set map[string]bool, getenv func(string) string, dst *bool) error {
	if set[name] {
		return nil
	}
	env := envName(name)
	v := getenv(env)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%s=%q is not a boolean", env, v)
	}
	*dst = b
	return nil
}

func envName(flag string) string {
	return "CONFORMANCE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func duration(subject, v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s is not a positive duration such as 10s or 500ms", subject)
	}
	return d, nil
}

func positive(subject, v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s is not a positive integer", subject)
	}
	return n, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// PrintUsage writes the flag table.
func PrintUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: contacts-conformance [flags]            run the conformance suite")
	fmt.Fprintln(w, "       contacts-conformance COMMAND [flags]    run a command (listed below; COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nflags (each also read from its environment variable; flags win):")
	for _, s := range Settings {
		fmt.Fprintf(w, "  %-22s %-32s %s\n", s.Flag, s.Env, s.Help)
	}
	fmt.Fprintln(w, "  --list                 print the requirement catalogue and the selected cases, send nothing")
	fmt.Fprintln(w, "  --list-markdown        print the whole catalogue as Markdown (docs/requirements.md), send nothing")
	fmt.Fprintln(w, "  -v                     print every case's request and response")
	fmt.Fprintln(w, "  --quiet                print only failures and the summary")
	fmt.Fprintln(w, "\nexit codes: 0 every requirement met, or every failure listed in --expect; 1 at least one conformance failure,")
	fmt.Fprintln(w, "or an --expect file out of date (an unexpected pass, an expired entry); 2 the run could not be made")
}

// Redacted is the configuration as a report may show it.
func (c *Config) Redacted() map[string]string {
	return map[string]string{
		"base_url":           c.BaseURL,
		"token":              given(c.Token != ""),
		"contact_id":         c.ContactID,
		"foreign_contact_id": c.ForeignContactID,
		"timeout":            c.Timeout.String(),
		"seed":               strconv.FormatInt(c.Seed, 10),
		"concurrency":        strconv.Itoa(c.Concurrency),
		"strict":             strconv.FormatBool(c.Strict),
		"redacted_values":    strconv.Itoa(len(c.Redact)),
		"token_command":      given(c.TokenCommand != ""),
		"run":                patternText(c.Run),
		"skip":               patternText(c.Skip),
		"deadline":           c.Deadline.String(),
		"rate_limit":         c.rateLimitText(),
		"ca_cert":            c.CACertFile,
		"insecure_tls":       strconv.FormatBool(c.Insecure),
		"explore":            strconv.Itoa(c.Explore),
		"expect":             c.ExpectFile,
		"baseline":           c.BaselineFile,
		"profile":            c.Profile,
		"sign_key":           given(c.SignKey != ""),
	}
}

// given shows whether a secret setting was set, never its value: a token command may carry
// credentials of its own, and a key's path says where a secret lies.
func given(set bool) string {
	if set {
		return "[REDACTED]"
	}
	return "(none)"
}

func patternText(re *regexp.Regexp) string {
	if re == nil {
		return ""
	}
	return re.String()
}

// FromEnv reads the configuration from the environment alone, as `go test` does.
func FromEnv() (*Config, error) { return Parse(nil, os.Getenv, io.Discard) }
