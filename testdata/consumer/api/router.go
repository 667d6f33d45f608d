// Package api stands for an API team's own service in a module of its own, which imports the
// conformance suite as any team would; its conformance_test.go is the file the suite's
// docs/conformancetest.md tells teams to copy. The suite's tests run this module's tests
// (runner/conformancetest), and make bench times them.
package api

import (
	"net/http"
	"os"
	"time"

	"github.com/contacts-conformance/suite/spec/refserver"
)

// TestToken is a token the router accepts, as a team's test fixtures would have one.
const TestToken = "Conformance-Test-Token"

// NewRouter is the API's router: here the suite's reference server, standing for a team's own.
// CONSUMER_FAULT names one of the reference server's faults for it to commit, so that the suite's
// tests can watch this module's test fail; CONSUMER_LATENCY (a Go duration) delays every answer,
// for make bench.
func NewRouter() http.Handler {
	var latency time.Duration
	if v := os.Getenv("CONSUMER_LATENCY"); v != "" {
		var err error
		if latency, err = time.ParseDuration(v); err != nil {
			panic(err) // a mistyped setting of the suite's own tests
		}
	}
	h, err := refserver.NewHandler(refserver.Options{Token: TestToken, Fault: os.Getenv("CONSUMER_FAULT"), Latency: latency})
	if err != nil {
		panic(err)
	}
	return h
}
