package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
)

// The target of issue 15: runner/conformancetest, run by another module's go test against a
// handler that answers after the latency, takes at most this share of the sequential bound.
const targetPackageRatio = 0.2

// consumerModule imports runner/conformancetest as an API team does; its router is the reference
// server's handler, delayed by CONSUMER_LATENCY.
var consumerModule = filepath.Join("testdata", "consumer")

// sentLine is the line Run logs when every subtest has reported.
var sentLine = regexp.MustCompile(`(\d+) cases: .*: conformant; (\d+) requests sent`)

// measurePackage times the consumer module's TestConformance, built once with go test -c (so the
// compile is not timed) and run with -test.v at the default concurrency and go test's default
// -parallel, against the bound of sending its requests one after the other.
func measurePackage(gobin, dir string, runs int, latency time.Duration) (row, error) {
	binary := filepath.Join(dir, "consumer.test")
	build := exec.Command(gobin, "test", "-c", "-o", binary, "./api")
	build.Dir, build.Env = consumerModule, append(cleanEnv(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return row{}, fmt.Errorf("building the consumer module's test: %v\n%s", err, out)
	}
	var ratios, walls []float64
	var sent, cases int
	for range runs {
		cmd := exec.Command(binary, "-test.run", "^TestConformance$", "-test.count=1", "-test.v")
		cmd.Dir = filepath.Join(consumerModule, "api") // where go test runs a package's test binary
		cmd.Env = append(cleanEnv(), "CONSUMER_LATENCY="+latency.String())
		started := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(started)
		m := sentLine.FindSubmatch(out)
		if err != nil || m == nil {
			return row{}, fmt.Errorf("the consumer module's test did not find the reference server conformant (%v): %s", err, lastLines(string(out), 20))
		}
		cases, _ = strconv.Atoi(string(m[1]))
		sent, _ = strconv.Atoi(string(m[2]))
		bound := time.Duration(sent) * latency
		walls = append(walls, wall.Seconds())
		ratios = append(ratios, wall.Seconds()/bound.Seconds())
		fmt.Printf("conformancetest, concurrency default (%d): %d subtests' results, %d requests in %s, sequential bound %s, ratio %.3f\n",
			engine.DefaultConcurrency, cases, sent, wall.Round(time.Millisecond), bound, wall.Seconds()/bound.Seconds())
	}
	return row{
		measure: fmt.Sprintf("conformancetest from another module's go test, handler answering after %s, concurrency default (%d), %d requests", short(latency), engine.DefaultConcurrency, sent),
		value:   fmt.Sprintf("%.2f s (%.2f–%.2f)", median(walls), slices.Min(walls), slices.Max(walls)),
		target:  fmt.Sprintf("≤ %.1f × %s", targetPackageRatio, short(time.Duration(sent)*latency)),
		ratio:   fmt.Sprintf("%.3f (%.3f–%.3f)", median(ratios), slices.Min(ratios), slices.Max(ratios)),
	}, nil
}
