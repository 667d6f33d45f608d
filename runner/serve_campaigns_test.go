package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `runner serve --campaigns N` serves a list of N campaigns, for load and memory measurements.
func TestServeGeneratesCampaigns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	done := make(chan int)
	go func() {
		done <- serve(ctx, []string{"--addr", "127.0.0.1:0", "--campaigns", "250"}, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	url := strings.TrimSpace(strings.TrimPrefix(line, "reference server listening on "))
	go func() { _, _ = io.Copy(io.Discard, out) }() // the rest of the banner

	req, err := http.NewRequest(http.MethodGet, url+"/campaign/list?limit=1000", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer Reference-Token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var env struct{ Data []any }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	assert.Len(t, env.Data, 250)

	cancel()
	assert.Equal(t, exitConformant, <-done)
}

func TestServeRefusesANegativeCampaignCount(t *testing.T) {
	var stderr bytes.Buffer
	code := serve(context.Background(), []string{"--addr", "127.0.0.1:0", "--campaigns", "-1"}, io.Discard, &stderr)
	assert.Equal(t, exitNoRun, code)
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), stderr.String())
	assert.Contains(t, stderr.String(), "--campaigns")
}
