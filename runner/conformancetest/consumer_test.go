package conformancetest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consumer is a module of its own that imports this package as an API team does (through a
// replace directive to this repository) and tests its router with it: the reference server's
// handler, committing the fault CONSUMER_FAULT names.
var consumer = filepath.Join("..", "..", "testdata", "consumer")

// goTestConsumer runs go test in the consumer module, with none of the suite's variables.
func goTestConsumer(t *testing.T, fault string) (string, bool) {
	t.Helper()
	cmd := exec.Command("go", "test", "-count=1", "-v", "./...")
	cmd.Dir = consumer
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONFORMANCE_") }),
		"GOWORK=off", "CONSUMER_FAULT="+fault)
	out, err := cmd.CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "go test did not run in %s:\n%s", consumer, out)
	}
	return string(out), err == nil
}

// From another module, the package runs the whole suite against a router: clean, the test
// passes with every case a subtest; with a fault, it fails, naming the requirement broken.
func TestAnotherModuleRunsTheSuite(t *testing.T) {
	out, passed := goTestConsumer(t, "")
	require.True(t, passed, out)
	assert.Contains(t, out, "--- PASS: TestConformance/ok/known/getContactById")
	assert.Contains(t, out, "--- PASS: TestConformance/explore/all-held/listCampaigns")
	assert.Regexp(t, `cases: \d+ passed, 0 failed, 0 warnings, 0 skipped, 0 errors, 0 not selected: conformant; \d+ requests sent`, out)

	out, passed = goTestConsumer(t, "wrong-record")
	require.False(t, passed, out)
	assert.Contains(t, out, "--- FAIL: TestConformance/ok/known/getContactById")
	assert.Contains(t, out, "OK-002 (MUST) The contact returned is the one asked for")
	assert.Contains(t, out, "FAIL\texample.com/contacts/api")
	assert.NotContains(t, out, "Conformance-Test-Token", "the token was printed")
}

// The test file docs/conformancetest.md gives a team's own repository is the consumer module's,
// byte for byte, so the file teams copy is the one this repository runs.
func TestDocsShowTheConsumersTestFile(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "docs", "conformancetest.md"))
	require.NoError(t, err)
	_, section, found := strings.Cut(string(page), "\n## In your own repository\n")
	require.True(t, found, "docs/conformancetest.md has no section \"In your own repository\"")
	block := regexp.MustCompile("(?s)```go\n(.*?)```").FindStringSubmatch(section)
	require.NotNil(t, block, "the section shows no Go file")
	file, err := os.ReadFile(filepath.Join(consumer, "api", "conformance_test.go"))
	require.NoError(t, err)
	assert.Equal(t, string(file), block[1])
}
