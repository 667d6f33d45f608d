package main

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/internal/delayproxy"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// The targets of issue 14, measured here and asserted nowhere.
const (
	targetWireRatio   = 1.10 // at the default concurrency over TLS
	targetDriverRatio = 1.2  // the go test driver's wall time over the runner's, same setting
)

// wireRow is one setting measured through the delay proxy: a driver (the runner binary or the
// go test driver), plain HTTP or TLS, a concurrency.
type wireRow struct {
	driver      string
	tls         bool
	concurrency int
	requests    []float64
	connections []float64
	handshakes  []float64
	walls       []float64
	limits      []float64
}

func (r *wireRow) scheme() string {
	if r.tls {
		return "TLS"
	}
	return "HTTP"
}

// wireTarget is what measureWire needs to run one setting: the proxy in front of a reference
// server counting the requests it receives.
type wireTarget struct {
	proxy    *delayproxy.Proxy
	server   *refserver.Server
	requests *atomic.Int64
	caFile   string
}

// measureWire runs the whole suite through the delay proxy: the runner binary over plain HTTP and
// over TLS at each concurrency, and the go test driver over TLS at the default concurrency.
func measureWire(gobin, binary, dir string, runs int, rtt time.Duration, concurrencies []int) ([]*wireRow, error) {
	driver := filepath.Join(dir, "suites.test")
	if out, err := exec.Command(gobin, "test", "-c", "-o", driver, "./suites").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the go test driver: %v\n%s", err, out)
	}
	suitesDir, err := filepath.Abs("suites")
	if err != nil {
		return nil, err
	}
	fmt.Println()
	var rows []*wireRow
	for _, useTLS := range []bool{false, true} {
		target, err := startWireTarget(dir, rtt, useTLS)
		if err != nil {
			return nil, err
		}
		settings := []*wireRow{}
		for _, c := range concurrencies {
			settings = append(settings, &wireRow{driver: "runner", tls: useTLS, concurrency: c})
		}
		if useTLS {
			settings = append(settings, &wireRow{driver: "go test", tls: true, concurrency: engine.DefaultConcurrency})
		}
		for _, row := range settings {
			for range runs {
				cmd := exec.Command(binary, target.runnerArgs(row.concurrency)...)
				if row.driver == "go test" {
					cmd = exec.Command(driver, "-test.run", "^TestConformance$", "-test.count=1")
					cmd.Dir = suitesDir // where go test runs a package's test binary
					cmd.Env = append(cleanEnv(), target.driverEnv(row.concurrency)...)
				}
				if err := target.measure(cmd, row, rtt); err != nil {
					target.close()
					return nil, err
				}
			}
			rows = append(rows, row)
		}
		target.close()
	}
	return rows, nil
}

func startWireTarget(dir string, rtt time.Duration, useTLS bool) (*wireTarget, error) {
	t := &wireTarget{requests: &atomic.Int64{}}
	srv, err := refserver.Start(refserver.Options{Observe: func(*http.Request) { t.requests.Add(1) }})
	if err != nil {
		return nil, err
	}
	t.server = srv
	t.proxy, err = delayproxy.Start(delayproxy.Options{Upstream: strings.TrimPrefix(srv.URL, "http://"), RTT: rtt, TLS: useTLS})
	if err != nil {
		srv.Close()
		return nil, err
	}
	if useTLS {
		t.caFile = filepath.Join(dir, "delayproxy-ca.pem")
		if err := os.WriteFile(t.caFile, t.proxy.CACert, 0o600); err != nil {
			t.close()
			return nil, err
		}
	}
	return t, nil
}

func (t *wireTarget) close() {
	_ = t.proxy.Close()
	t.server.Close()
}

func (t *wireTarget) runnerArgs(concurrency int) []string {
	args := []string{"--base-url", t.proxy.URL, "--token", t.server.Token, "--contact-id", t.server.ContactID,
		"--foreign-contact-id", t.server.ForeignContactID, "--seed", "1", "--quiet", "--concurrency", strconv.Itoa(concurrency)}
	if t.caFile != "" {
		args = append(args, "--ca-cert", t.caFile)
	}
	return args
}

func (t *wireTarget) driverEnv(concurrency int) []string {
	env := []string{"CONFORMANCE_BASE_URL=" + t.proxy.URL, "CONFORMANCE_TOKEN=" + t.server.Token,
		"CONFORMANCE_CONTACT_ID=" + t.server.ContactID, "CONFORMANCE_FOREIGN_CONTACT_ID=" + t.server.ForeignContactID,
		"CONFORMANCE_SEED=1", "CONFORMANCE_CONCURRENCY=" + strconv.Itoa(concurrency)}
	if t.caFile != "" {
		env = append(env, "CONFORMANCE_CA_CERT="+t.caFile)
	}
	return env
}

// measure runs one command, which must find the reference server conformant, and records what
// the proxy and the server counted meanwhile.
func (t *wireTarget) measure(cmd *exec.Cmd, row *wireRow, rtt time.Duration) error {
	if cmd.Env == nil {
		cmd.Env = cleanEnv()
	}
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	requests, connections, handshakes := t.requests.Load(), t.proxy.Connections(), t.proxy.Handshakes()
	started := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the %s failed against the reference server behind the delay proxy (%v): %s", row.driver, err, lastLines(output.String(), 20))
	}
	wall := time.Since(started)
	// What the client sent before it exited is still on the wire for up to a connect's round
	// trip and a half: a handshake it finished lands then, and belongs to this run.
	time.Sleep(2 * rtt)
	sent := t.requests.Load() - requests
	limit := physicalLimit(sent, row.concurrency, rtt, row.tls)
	row.requests = append(row.requests, float64(sent))
	row.connections = append(row.connections, float64(t.proxy.Connections()-connections))
	row.handshakes = append(row.handshakes, float64(t.proxy.Handshakes()-handshakes))
	row.walls = append(row.walls, wall.Seconds())
	row.limits = append(row.limits, limit.Seconds())
	on := fmt.Sprintf("%.0f connections", row.connections[len(row.connections)-1])
	if row.tls {
		on += fmt.Sprintf(" (%.0f TLS handshakes)", row.handshakes[len(row.handshakes)-1])
	}
	fmt.Printf("wire, %s, %s, concurrency %d: %d requests on %s in %s, physical limit %s, ratio %.3f\n",
		row.driver, row.scheme(), row.concurrency, sent, on, wall.Round(time.Millisecond), limit.Round(time.Millisecond), wall.Seconds()/limit.Seconds())
	return nil
}

// physicalLimit is the least time the requests can take at this concurrency with this round
// trip: ⌈requests / concurrency⌉ round trips, after each worker's connect (one round trip) and,
// over TLS, its handshake (one more for TLS 1.3), which the workers make at the same time.
func physicalLimit(requests int64, concurrency int, rtt time.Duration, useTLS bool) time.Duration {
	rounds := int64(math.Ceil(float64(requests) / float64(concurrency)))
	setup := rtt
	if useTLS {
		setup += rtt
	}
	return time.Duration(rounds)*rtt + setup
}

// cleanEnv is this process's environment without the suite's own variables, so that a
// CONFORMANCE_RUN or a token in the caller's shell cannot change what is measured.
func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CONFORMANCE_") })
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// printWire prints the table of the wire rows, with each target and whether it was met.
func printWire(rows []*wireRow, rtt time.Duration) {
	fmt.Printf("\nThe whole suite through the delay proxy, %s round trip on the wire:\n\n", short(rtt))
	fmt.Println("| driver | wire | concurrency | requests | connections opened | TLS handshakes | wall time (median, range) | physical limit | ratio (median, range) | target |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	runnerWall := map[string]float64{}
	for _, r := range rows {
		if r.driver == "runner" {
			runnerWall[r.scheme()+strconv.Itoa(r.concurrency)] = median(r.walls)
		}
	}
	for _, r := range rows {
		ratios := make([]float64, len(r.walls))
		for i := range r.walls {
			ratios[i] = r.walls[i] / r.limits[i]
		}
		handshakes := "–"
		if r.tls {
			handshakes = count(r.handshakes)
		}
		fmt.Printf("| %s | %s | %d | %s | %s | %s | %.2f s (%.2f–%.2f) | %.2f s | %.3f (%.3f–%.3f) | %s |\n",
			r.driver, r.scheme(), r.concurrency, count(r.requests), count(r.connections), handshakes,
			median(r.walls), slices.Min(r.walls), slices.Max(r.walls), median(r.limits),
			median(ratios), slices.Min(ratios), slices.Max(ratios), r.targets(median(ratios), runnerWall))
	}
}

// targets says which of issue 14's targets apply to the row, and whether each is met.
func (r *wireRow) targets(ratio float64, runnerWall map[string]float64) string {
	most := float64(r.concurrency + 1)
	var t []string
	if r.driver == "runner" {
		t = append(t, fmt.Sprintf("connections ≤ %d: %s", r.concurrency+1, met(slices.Max(r.connections) <= most)))
		if r.tls && r.concurrency == engine.DefaultConcurrency {
			t = append(t, fmt.Sprintf("ratio ≤ %.2f: %s", targetWireRatio, met(ratio <= targetWireRatio)))
		}
		return strings.Join(t, "; ")
	}
	if wall, ok := runnerWall[r.scheme()+strconv.Itoa(r.concurrency)]; ok {
		vs := median(r.walls) / wall
		t = append(t, fmt.Sprintf("≤ %.1f × the runner's wall time: %.2f ×, %s", targetDriverRatio, vs, met(vs <= targetDriverRatio)))
	}
	return strings.Join(t, "; ")
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

// count prints a count that may vary between runs: the median, with the range when it varied.
func count(v []float64) string {
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return strconv.FormatFloat(lo, 'f', -1, 64)
	}
	return fmt.Sprintf("%s (%s–%s)", strconv.FormatFloat(median(v), 'f', -1, 64), strconv.FormatFloat(lo, 'f', -1, 64), strconv.FormatFloat(hi, 'f', -1, 64))
}
