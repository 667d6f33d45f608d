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
		{"bad skip from env", map[string]string{"CONFORMANCE_SKIP": "a**"}, nil, `--skip "a**" is not a valid regular expression: invalid nested repetition operator`},
		{"both token flags", nil, []string{"--token", "token-0123", "--token-command", "get-token"}, "give one of --token and --token-command"},
		{"both token variables", map[string]string{"CONFORMANCE_TOKEN": "token-0123", "CONFORMANCE_TOKEN_COMMAND": "get-token"}, nil, "give one of --token and --token-command"},
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
