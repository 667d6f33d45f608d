package runner

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// Cases end in whatever order the network decides; the reports must not. A server that answers
// each request after a random delay shuffles the completions, and runs must still print the same
// text and write the same results, in the cases' order.
func TestReportsKeepTheCasesOrderWhateverTheTiming(t *testing.T) {
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(1))
	randomDelay := func(*http.Request) {
		mu.Lock()
		d := time.Duration(rng.Intn(15)) * time.Millisecond
		mu.Unlock()
		time.Sleep(d)
	}
	opts := refserver.Options{Observe: randomDelay}
	// A failing case too, so that the findings section is compared as well.
	if refserver.FaultByName("wrong-record") != nil {
		opts.Fault = "wrong-record"
	}
	srv, err := refserver.Start(opts)
	require.NoError(t, err)
	defer srv.Close()

	contract, err := spec.Load()
	require.NoError(t, err)
	cases := suites.Build(contract, suites.Config{ContactID: srv.ContactID, ForeignContactID: srv.ForeignContactID, HaveToken: true, Seed: 7})
	eng, err := engine.New(contract, engine.Options{BaseURL: srv.URL, Token: srv.Token})
	require.NoError(t, err)
	var completed []int
	results := eng.Run(context.Background(), cases, func(i int, _ *engine.Result) { completed = append(completed, i) })
	require.Len(t, results, len(cases))
	for i, r := range results {
		require.Equal(t, cases[i].ID, r.ID, "result %d", i)
	}
	require.Len(t, completed, len(cases))
	assert.False(t, sort.IntsAreSorted(completed), "the random delays must have shuffled the completions")

	dir := t.TempDir()
	args := func(report string) []string {
		return []string{"--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID,
			"--foreign-contact-id", srv.ForeignContactID, "--seed", "7", "-v", "--json", filepath.Join(dir, report)}
	}
	first := runWith(t, nil, args("first.json")...)
	second := runWith(t, nil, args("second.json")...)
	require.Equal(t, first.code, second.code, first.stderr+second.stderr)
	assert.Equal(t, first.stdout, second.stdout)
	assert.Equal(t, timeless(t, filepath.Join(dir, "first.json")), timeless(t, filepath.Join(dir, "second.json")))
}

// timeless reads a JSON report without what differs between two identical runs: the clock.
func timeless(t *testing.T, path string) map[string]any {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var run map[string]any
	require.NoError(t, json.Unmarshal(data, &run))
	delete(run, "started")
	delete(run, "finished")
	results, _ := run["results"].([]any)
	require.NotEmpty(t, results)
	for _, r := range results {
		r := r.(map[string]any)
		delete(r, "started")
		delete(r, "duration_ns")
		if resp, ok := r["response"].(map[string]any); ok {
			delete(resp["headers"].(map[string]any), "Date")
		}
	}
	return run
}
