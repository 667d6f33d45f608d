package config

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parse(env map[string]string, args ...string) (*Config, error) {
	return Parse(args, func(k string) string { return env[k] }, io.Discard)
}

func TestSelectionReportsAndTokenCommand(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(t *testing.T, c *Config)
	}{
		{"run and skip compile", nil, []string{"--run", "^auth/", "--skip", "lowercase"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "^auth/", c.Run.String())
			assert.Equal(t, "lowercase", c.Skip.String())
		}},
		{"no selection is nil", nil, nil, func(t *testing.T, c *Config) {
			assert.Nil(t, c.Run)
			assert.Nil(t, c.Skip)
		}},
		{"selection from the environment", map[string]string{"CONFORMANCE_RUN": "ok/", "CONFORMANCE_SKIP": "x"}, nil, func(t *testing.T, c *Config) {
			assert.Equal(t, "ok/", c.Run.String())
			assert.Equal(t, "x", c.Skip.String())
		}},
		{"a flag wins over the environment", map[string]string{"CONFORMANCE_RUN": "ok/", "CONFORMANCE_OUT": "env-dir"}, []string{"--run", "auth/", "--out", "flag-dir"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "auth/", c.Run.String())
			assert.Equal(t, "flag-dir", c.OutDir)
		}},
		{"out from the environment", map[string]string{"CONFORMANCE_OUT": "reports"}, nil, func(t *testing.T, c *Config) {
			assert.Equal(t, "reports", c.OutDir)
		}},
		{"a token command stands for the token", nil, []string{"--base-url", "https://staging.example.com", "--token-command", "vault read token"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "vault read token", c.TokenCommand)
			assert.Empty(t, c.Token)
		}},
		{"the token command flag wins over the token variable", map[string]string{"CONFORMANCE_TOKEN": "env-token-123"}, []string{"--token-command", "get-token"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "get-token", c.TokenCommand)
			assert.Empty(t, c.Token)
		}},
		{"the token flag wins over the token command variable", map[string]string{"CONFORMANCE_TOKEN_COMMAND": "get-token"}, []string{"--token", "flag-token-123"}, func(t *testing.T, c *Config) {
			assert.Equal(t, "flag-token-123", c.Token)
			assert.Empty(t, c.TokenCommand)
		}},
		{"list-markdown", nil, []string{"--list-markdown"}, func(t *testing.T, c *Config) {
			assert.True(t, c.ListMarkdown)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(tt.env, tt.args...)
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestSelectionReportsAndTokenCommandErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"bad run", nil, []string{"--run", "auth/("}, `--run "auth/(" is not a valid regular expression: missing closing )`},
		{"bad skip from env", map[string]string{"CONFORMANCE_SKIP": "a**"}, nil, `CONFORMANCE_SKIP="a**" is not a valid regular expression: invalid nested repetition operator`},
		{"both token flags", nil, []string{"--token", "token-0123", "--token-command", "get-token"}, "give one of --token and --token-command"},
		{"both token variables", map[string]string{"CONFORMANCE_TOKEN": "token-0123", "CONFORMANCE_TOKEN_COMMAND": "get-token"}, nil, "both CONFORMANCE_TOKEN and CONFORMANCE_TOKEN_COMMAND are set; give one"},
		{"verbose and quiet", nil, []string{"-v", "--quiet"}, "-v and --quiet contradict each other"},
		{"base url without any token", nil, []string{"--base-url", "https://staging.example.com"}, "set --token, --token-command or CONFORMANCE_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.env, tt.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// The redacted configuration says whether secrets were given, never what they are.
func TestRedactedShowsNoSecret(t *testing.T) {
	c, err := parse(nil, "--base-url", "https://staging.example.com", "--token-command", "curl -u admin:hunter2-secret https://idp.example.com/token", "--run", "auth/")
	require.NoError(t, err)
	r := c.Redacted()
	assert.Equal(t, "[REDACTED]", r["token_command"])
	assert.Equal(t, "(none)", r["token"])
	assert.Equal(t, "auth/", r["run"])
	for k, v := range r {
		assert.NotContains(t, v, "hunter2", k)
	}
}

// An error names the setting as the user gave it: the flag when a flag was given, the variable
// when the environment set it, and a program's own name for it under ParseOptions.
func TestErrorsNameTheSettingAsGiven(t *testing.T) {
	labels := map[string]string{"concurrency": "Concurrency(%s)", "run": "Select(%q)", "explore": "Explore(%s)", "redact": "Redact(%q)", "max-body": "MaxBody(%s)"}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		labels  map[string]string
		wantErr string
	}{
		{"a flag", nil, []string{"--seed", "x"}, nil, `--seed "x" is not an integer`},
		{"the flag wins and is named", map[string]string{"CONFORMANCE_SEED": "1"}, []string{"--seed", "x"}, nil, `--seed "x" is not an integer`},
		{"a variable", map[string]string{"CONFORMANCE_SEED": "x"}, nil, nil, `CONFORMANCE_SEED="x" is not an integer`},
		{"a variable's duration", map[string]string{"CONFORMANCE_TIMEOUT": "soon"}, nil, nil, `CONFORMANCE_TIMEOUT="soon" is not a positive duration such as 10s or 500ms`},
		{"a variable's budget", map[string]string{"CONFORMANCE_EXPLORE": "-1"}, nil, nil, `CONFORMANCE_EXPLORE="-1" is not a number of generated requests from 0 (none) to 100000`},
		{"a variable's rate", map[string]string{"CONFORMANCE_RATE_LIMIT": "fast"}, nil, nil, `CONFORMANCE_RATE_LIMIT="fast" is not a number of requests per second`},
		{"a variable's CA file", map[string]string{"CONFORMANCE_CA_CERT": "/nonexistent/ca.pem"}, nil, nil, "CONFORMANCE_CA_CERT: cannot read /nonexistent/ca.pem: no such file or directory"},
		{"a variable's short value to redact", map[string]string{"CONFORMANCE_REDACT": "long-enough,abc"}, nil, nil, `the value "abc" of CONFORMANCE_REDACT is shorter than 4 characters`},
		{"a variable's short token, never quoted", map[string]string{"CONFORMANCE_TOKEN": "abc"}, nil, nil, "CONFORMANCE_TOKEN is 3 characters long"},
		{"a variable's base URL without a token", map[string]string{"CONFORMANCE_BASE_URL": "https://staging.example.com"}, nil, nil, "CONFORMANCE_BASE_URL needs a token: set CONFORMANCE_TOKEN or CONFORMANCE_TOKEN_COMMAND"},
		{"a label", nil, []string{"--concurrency", "0"}, labels, "Concurrency(0) is not a positive integer"},
		{"a label quoting its string", nil, []string{"--run", "auth/("}, labels, `Select("auth/(") is not a valid regular expression: missing closing )`},
		{"a variable's concurrency beyond the cap", map[string]string{"CONFORMANCE_CONCURRENCY": "10000"}, nil, nil, `CONFORMANCE_CONCURRENCY=10000 is more than 256 requests in flight`},
		{"a label of a number", nil, []string{"--max-body", "2000000000"}, labels, "MaxBody(2000000000) is more than 1073741824 bytes (1 GiB)"},
		{"a label of a repeated value", nil, []string{"--redact", "long-enough", "--redact", "abc"}, labels, `Redact("abc") is shorter than 4 characters`},
		{"a variable beside labels", map[string]string{"CONFORMANCE_EXPLORE": "many"}, nil, labels, `CONFORMANCE_EXPLORE="many" is not a number of generated requests`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			var err error
			if tt.labels != nil {
				_, err = ParseOptions(tt.args, getenv, tt.labels)
			} else {
				_, err = Parse(tt.args, getenv, io.Discard)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// The selection remembers how it was given, for the reason a left-out case shows.
func TestSelectionNamesHowItWasGiven(t *testing.T) {
	c, err := parse(map[string]string{"CONFORMANCE_SKIP": "x"}, "--run", "^auth/")
	require.NoError(t, err)
	assert.Equal(t, "--run", c.EngineOptions().Selection.RunName)
	assert.Equal(t, "CONFORMANCE_SKIP", c.EngineOptions().Selection.SkipName)
	c, err = ParseOptions([]string{"--run", "^auth/"}, nil, map[string]string{"run": "Select(%q)"})
	require.NoError(t, err)
	assert.Equal(t, "Select", c.RunName)
}
