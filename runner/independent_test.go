package runner

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The acceptance test of the whole suite: testdata/independent-server is a Node.js implementation
// written only from the contract's prose (docs/contract.md), by someone who did not read our spec or
// reference server. Clean, it must pass (no false alarms); with any single violation switched on,
// the runner must exit 1 and name the requirement it breaks.
var independentViolations = map[string]struct {
	requirement string
	strictOnly  bool // a SHOULD-level deviation: exit 0, exit 1 under --strict
}{
	"error-as-200":              {"ENV-001", false},
	"no-www-authenticate":       {"AUTH-002", true},
	"lowercase-scheme-rejected": {"AUTH-003", false},
	"accept-any-token":          {"AUTH-001", false},
	"accept-missing-auth":       {"AUTH-001", false},
	"401-as-403":                {"AUTH-001", false},
	"validation-before-auth":    {"AUTH-001", false},
	"foreign-contact-visible":   {"ID-002", false},
	"foreign-contact-403":       {"ID-002", false},
	"unknown-id-500":            {"ID-001", false},
	"404-html-router":           {"ENV-003", false},
	"malformed-id-500":          {"ID-003", false},
	"malformed-id-200":          {"ID-003", false},
	"malformed-id-404":          {"ID-004", true},
	"missing-key":               {`/data/notes: property "notes" is missing`, false},
	"wrong-type":                {"/data/last_call_duration: value must be an integer", false},
	"bad-uuid-format":           {`/data/company_id: string doesn't match the format "uuid"`, false},
	"zoneless-timestamp":        {"a date-time without a time zone", false},
	"null-not-nullable":         {"/data/phone_number: null is not allowed", false},
	"bad-enum":                  {"/status: value is not one of the allowed values", false},
	"wrong-record":              {"OK-002", false},
	"no-envelope":               {"OK-001", false},
	"error-data-not-null":       {`"data" is {}, not null`, false},
	"empty-error-message":       {`"message" is "", not a non-empty string`, false},
	"text-content-type":         {"ENV-003", false},
	"method-200":                {"METHOD-001", false},
	"405-without-allow":         {"no Allow header", false},
	"limit-ignored":             {"LIST-001", false},
	"bad-limit-200":             {"LIST-002", false},
	"phone-bad-type":            {"/nickname: value must be a string", false},
	"webhook-bad-direction":     {"/flow_direction: value is not one of the allowed values", false},
}

type independentServer struct {
	URL              string `json:"url"`
	Token            string `json:"token"`
	ContactID        string `json:"contact_id"`
	ForeignContactID string `json:"foreign_contact_id"`
}

func startIndependent(t *testing.T, args ...string) independentServer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required in CI for the independent-server acceptance test")
		}
		t.Skip("node is not installed")
	}
	cmd := exec.Command(node, append([]string{filepath.Join("..", "testdata", "independent-server", "server.js")}, args...)...)
	// The server exits when its stdin closes, so it never outlives this test process.
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "the independent server did not start")
	var s independentServer
	require.NoError(t, json.Unmarshal([]byte(line), &s))
	return s
}

func (s independentServer) args(extra ...string) []string {
	return append([]string{"--base-url", s.URL, "--token", s.Token, "--contact-id", s.ContactID, "--foreign-contact-id", s.ForeignContactID, "--seed", "7"}, extra...)
}

func TestIndependentServerConforms(t *testing.T) {
	s := startIndependent(t, "--prefix", "/v1")
	require.True(t, strings.HasSuffix(s.URL, "/v1"))
	o := runWith(t, nil, s.args("--strict")...)
	require.Equal(t, exitConformant, o.code, "a correct, independently written server must pass, strict included:\n%s%s", o.stdout, o.stderr)
	assert.Contains(t, o.stdout, " 0 failed, 0 warnings, 0 skipped, 0 errors")
}

func TestIndependentServerViolations(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	out, err := exec.Command(node, filepath.Join("..", "testdata", "independent-server", "server.js"), "--list-violations").Output()
	require.NoError(t, err)
	var catalogue []struct{ Name string }
	require.NoError(t, json.Unmarshal(out, &catalogue))
	require.Len(t, catalogue, len(independentViolations), "every violation of the independent server needs an expectation here")
	for _, v := range catalogue {
		want, ok := independentViolations[v.Name]
		require.True(t, ok, "no expectation for violation %q", v.Name)
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel() // each has its own server; most of the time is node starting
			s := startIndependent(t, "--violation", v.Name)
			o := runWith(t, nil, s.args()...)
			if want.strictOnly {
				require.Equal(t, exitConformant, o.code, "a SHOULD-level deviation only warns:\n%s", o.stdout)
				assert.Contains(t, o.stdout, "WARN ")
				o = runWith(t, nil, s.args("--strict")...)
			}
			require.Equal(t, exitFailures, o.code, "violation %s was not caught:\n%s%s", v.Name, o.stdout, o.stderr)
			assert.Contains(t, o.stdout, want.requirement)
			assert.NotContains(t, o.stdout+o.stderr, s.Token)
		})
	}
}
