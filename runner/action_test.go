package runner

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// moduleProxy serves the working tree as the suite's module at version from a GOPROXY directory,
// so that `go install <module>/...@version` runs as it does from the real module proxy, which
// this machine cannot reach. Dependencies come from the local module cache, itself a valid proxy.
func moduleProxy(t *testing.T, version string) (goproxy string) {
	t.Helper()
	root := repoRoot(t)
	code, listed, errOut := execute(t, root, os.Environ(), "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if code != 0 {
		t.Skipf("not a git checkout: %s", errOut)
	}
	dir := filepath.Join(t.TempDir(), "proxy")
	at := filepath.Join(dir, modulePath, "@v")
	require.NoError(t, os.MkdirAll(at, 0o755))
	f, err := os.Create(filepath.Join(at, version+".zip"))
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	names := strings.Split(strings.TrimRight(listed, "\x00"), "\x00")
	// A module's zip leaves out every folder holding a module of its own (testdata/consumer),
	// as the real module proxy's does; go refuses a zip with another go.mod inside.
	var nested []string
	for _, name := range names {
		if dir, file := path.Split(name); file == "go.mod" && dir != "" {
			nested = append(nested, dir)
		}
	}
	for _, name := range names {
		if slices.ContainsFunc(nested, func(dir string) bool { return strings.HasPrefix(name, dir) }) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet in the index
		}
		require.NoError(t, err)
		w, err := zw.Create(modulePath + "@" + version + "/" + name)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(at, version+".mod"), goMod, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, version+".info"), []byte(`{"Version":"`+version+`","Time":"2026-01-01T00:00:00Z"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(at, "list"), []byte(version+"\n"), 0o644))
	_, modCache, _ := execute(t, root, os.Environ(), "go", "env", "GOMODCACHE")
	return "file://" + dir + ",file://" + filepath.Join(strings.TrimSpace(modCache), "cache", "download")
}

// actionDefault is the default of one input of action.yml.
func actionDefault(t *testing.T, action, input string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(input) + `:\n(?:    .*\n)*?    default: "?([^"\n]*)"?\n`).FindStringSubmatch(action)
	require.NotNil(t, m, "action.yml has no default for %s", input)
	return m[1]
}

// The action, the README and the docs install the version this code is: a release bumps them all.
func TestActionAndDocsPinThisVersion(t *testing.T) {
	action, err := os.ReadFile(filepath.Join("action", "action.yml"))
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	assert.Equal(t, "v"+report.Version, actionDefault(t, string(action), "version"))
	assert.Contains(t, string(readme), "go install "+modulePath+"/runner/cmd/contacts-conformance@v"+report.Version+"\n")
	assert.Contains(t, string(readme), "uses: contacts-conformance/suite/runner/action@v"+report.Version+"\n")
	pages, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	require.NoError(t, err)
	pin := regexp.MustCompile(`(/runner/cmd/contacts-conformance|/runner/action)@(v[0-9][^\s` + "`" + `]*)`)
	for _, name := range append(pages, filepath.Join("..", "README.md")) {
		text, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, m := range pin.FindAllStringSubmatch(string(text), -1) {
			assert.Equal(t, "v"+report.Version, m[2], "%s pins %s", name, m[0])
		}
	}
	nightly, err := os.ReadFile(filepath.Join("..", "docs", "nightly.md"))
	require.NoError(t, err)
	assert.Contains(t, string(nightly), "\n| `version` | `v"+report.Version+"` |", "docs/nightly.md's inputs table gives the version input's default")

	// Every input the script reads is passed by action.yml, from an input it declares.
	script, err := os.ReadFile(filepath.Join("action", "run.sh"))
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`INPUT_([A-Z_]+)`).FindAllStringSubmatch(string(script), -1) {
		input := strings.ToLower(strings.ReplaceAll(m[1], "_", "-"))
		assert.Contains(t, string(action), "\n        INPUT_"+m[1]+": ${{ inputs."+input+" }}\n", "action.yml passes %s", m[0])
		assert.Contains(t, string(action), "\n  "+input+":\n", "action.yml declares the input %s", input)
	}
	assert.Contains(t, string(action), "\n        CONFORMANCE_TOKEN: ${{ inputs.token }}\n", "the token goes through the environment")
}

// stepOutputs reads a GITHUB_OUTPUT file of name=value lines.
func stepOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		require.True(t, ok, sc.Text())
		out[k] = v
	}
	return out
}

// The action's script as GitHub runs it, from `go install ...@<pinned version>` to the reports:
// the first night fails on a faulty server and has no baseline yet; the second night, with an
// expectations file made from the first and the first as baseline, passes with known failures.
func TestActionScript(t *testing.T) {
	needTools(t, "bash", "git")
	action, err := os.ReadFile(filepath.Join("action", "action.yml"))
	require.NoError(t, err)
	version := actionDefault(t, string(action), "version")
	goproxy := moduleProxy(t, version)
	const token = "action-secret-token-4711"
	srv, err := refserver.Start(refserver.Options{Token: token, Prefix: "/v1", Fault: "wrong-record"})
	require.NoError(t, err)
	defer srv.Close()

	tmp := t.TempDir()
	workspace, runnerTemp, modCache := filepath.Join(tmp, "workspace"), filepath.Join(tmp, "runner-temp"), filepath.Join(tmp, "gomodcache")
	for _, d := range []string{workspace, runnerTemp} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	actionPath, err := filepath.Abs("action")
	require.NoError(t, err)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONFORMANCE_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") {
			env = append(env, kv)
		}
	}
	// No network here: the pinned version comes from a proxy directory, checksums unchecked. The
	// module cache is the test's own, so the fake release never lands in the machine's.
	env = append(env, "GOPROXY="+goproxy, "GOSUMDB=off", "GOMODCACHE="+modCache, "GOFLAGS=-modcacherw", "GOTOOLCHAIN=local",
		"GITHUB_ACTIONS=true", "GITHUB_WORKSPACE="+workspace, "GITHUB_ACTION_PATH="+actionPath, "RUNNER_TEMP="+runnerTemp,
		"CONFORMANCE_TOKEN="+token, "INPUT_VERSION="+version, "INPUT_OUT=conformance-reports",
		"INPUT_BASE_URL="+srv.URL, "INPUT_CONTACT_ID="+srv.ContactID, "INPUT_FOREIGN_CONTACT_ID="+srv.ForeignContactID, "INPUT_ARGS=--seed 7 --quiet")

	night := func(n int, inputs ...string) (code int, stdout, stderr, summary string, outputs map[string]string) {
		summaryFile, outputFile := filepath.Join(tmp, fmt.Sprintf("summary-%d.md", n)), filepath.Join(tmp, fmt.Sprintf("output-%d", n))
		for _, f := range []string{summaryFile, outputFile} {
			require.NoError(t, os.WriteFile(f, nil, 0o644))
		}
		nightEnv := append(append([]string{}, env...), "GITHUB_STEP_SUMMARY="+summaryFile, "GITHUB_OUTPUT="+outputFile)
		code, stdout, stderr = execute(t, workspace, append(nightEnv, inputs...), "bash", filepath.Join(actionPath, "run.sh"))
		b, err := os.ReadFile(summaryFile)
		require.NoError(t, err)
		return code, stdout, stderr, string(b), stepOutputs(t, outputFile)
	}

	code, stdout, stderr, summary, outputs := night(1, "INPUT_BASELINE=last-night/results.json")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "::group::go install "+modulePath+"/runner/cmd/contacts-conformance@"+version+"\n")
	assert.Regexp(t, `\ncontacts-conformance `+regexp.QuoteMeta(report.Version)+` \(module `+regexp.QuoteMeta(version)+`, revision unknown, modified: unknown, go1\.[0-9.]+\)\n`, stdout,
		"a binary installed from the module proxy names its code by the module version")
	assert.Contains(t, stdout, "::notice::No baseline at last-night/results.json (the first run?)")
	assert.True(t, strings.HasPrefix(summary, "> No baseline at `last-night/results.json` (the first run?): this run is not compared with an earlier one.\n\n## Contacts API conformance: not conformant\n"), summary)
	assert.Contains(t, summary, "\n#### FAIL `ok/known/getContactById`\n")
	assert.Equal(t, map[string]string{"verdict": report.NotConformant, "exit-code": "1", "report-dir": "conformance-reports"}, outputs)
	reports := filepath.Join(workspace, "conformance-reports")
	for _, f := range report.Files {
		b, err := os.ReadFile(filepath.Join(reports, f.Name))
		require.NoError(t, err, f.Name)
		assert.NotContains(t, string(b), token[:len(token)-1], f.Name)
	}
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr, "summary": summary} {
		assert.NotContains(t, text, token[:len(token)-1], "the token leaked into the %s", name)
	}

	// The team keeps the first night's results as the baseline and accepts its failure.
	require.NoError(t, os.MkdirAll(filepath.Join(workspace, "last-night"), 0o755))
	require.NoError(t, os.Rename(filepath.Join(reports, "results.json"), filepath.Join(workspace, "last-night", "results.json")))
	bin := filepath.Join(runnerTemp, "contacts-conformance-bin", "contacts-conformance")
	code, expectations, _ := execute(t, workspace, env, bin, "expect", "--from", "last-night/results.json")
	require.Equal(t, 0, code)
	require.NoError(t, os.WriteFile(filepath.Join(workspace, "conformance.expect"), []byte(expectations), 0o644))

	code, stdout, stderr, summary, outputs = night(2, "INPUT_BASELINE=last-night/results.json", "INPUT_EXPECT=conformance.expect")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.True(t, strings.HasPrefix(summary, "## Contacts API conformance: known failures\n"), summary)
	assert.Contains(t, summary, "### Since the baseline\n\nCompared with `last-night/results.json`")
	assert.Contains(t, summary, "| other changed outcomes | `ok/known/getContactById` | fail -\\> xfail (OK-002) |")
	assert.Contains(t, summary, "### Expected failures\n")
	assert.Equal(t, map[string]string{"verdict": report.KnownFailures, "exit-code": "0", "report-dir": "conformance-reports"}, outputs)
	for _, f := range report.Files {
		_, err := os.Stat(filepath.Join(reports, f.Name))
		assert.NoError(t, err, f.Name)
	}

	// A run that cannot be made still leaves a summary and the outputs, and exits 2.
	code, _, _, summary, outputs = night(3, "INPUT_EXPECT=missing.expect")
	assert.Equal(t, 2, code)
	assert.Contains(t, summary, "## Contacts API conformance: the run could not be made\n\ncontacts-conformance exited 2 before writing its reports")
	assert.Equal(t, map[string]string{"verdict": "", "exit-code": "2", "report-dir": "conformance-reports"}, outputs)
}
