package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/runner/engine"
)

// MaxResultsFile bounds a results file read back: a full run's results.json is well under a
// megabyte, and a file far larger is not one.
const MaxResultsFile = 256 << 20

// knownOutcomes are the outcomes a results file may hold.
var knownOutcomes = []engine.Outcome{engine.Pass, engine.Fail, engine.Warn, engine.Skip, engine.Error, engine.Disabled, engine.ExpectedFail, engine.NotClaimed}

// ReadRun reads a results.json back into the run it records, for a diff or a starting
// expectations file. A file that is not the results of a run is refused with one line saying
// why; files of earlier suite versions are read as far as they go.
func ReadRun(path string) (*Run, error) {
	data, err := ReadFile(path, MaxResultsFile, "not a results file of contacts-conformance")
	if err != nil {
		return nil, err
	}
	run, err := parseRun(data)
	if err != nil {
		return nil, fmt.Errorf("%s is not a results file of contacts-conformance (results.json): %v", path, err)
	}
	return run, nil
}

// ReadFile reads a file the user named, of at most limit bytes: a larger one is refused with
// tooLarge, the reason it cannot be what was asked for. Every error is one line naming the file.
func ReadFile(path string, limit int64, tooLarge string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB: %s", path, limit>>20, tooLarge)
	}
	return data, nil
}

func parseRun(data []byte) (*Run, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("not JSON (%v at byte %d)", syntax, syntax.Offset)
		}
		return nil, errors.New("not a JSON object")
	}
	for _, key := range []string{"suite_version", "spec_sha256", "started", "summary", "results", "verdict"} {
		if len(bytes.TrimSpace(fields[key])) == 0 {
			return nil, fmt.Errorf("it has no %q", key)
		}
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%q holds a JSON %s where %s belongs", typeErr.Field, typeErr.Value, typeErr.Type)
		}
		line, _, _ := strings.Cut(err.Error(), "\n")
		return nil, errors.New(line)
	}
	if run.SuiteVersion == "" {
		return nil, errors.New(`"suite_version" is empty`)
	}
	seen := map[string]bool{}
	for i, r := range run.Results {
		switch {
		case r == nil || r.ID == "":
			return nil, fmt.Errorf("result %d has no id", i)
		case seen[r.ID]:
			return nil, fmt.Errorf("the case %s is recorded twice", r.ID)
		case !slices.Contains(knownOutcomes, r.Outcome):
			return nil, fmt.Errorf("the case %s has the unknown outcome %q", r.ID, r.Outcome)
		}
		seen[r.ID] = true
	}
	return &run, nil
}
