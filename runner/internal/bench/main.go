// Command bench measures, in one run, what the suite costs next to the network, and prints each
// measure as a ratio to its target:
//
//   - a full run of the runner binary against the reference server answering every request after
//     100 ms, against the sequential bound (requests × 100 ms);
//   - runner/conformancetest, run by another module's go test (testdata/consumer, gotest.go)
//     against the reference server's handler answering after 100 ms, against the same bound;
//   - the validation of one response, from the body's bytes to the verdict (the Go benchmarks of
//     ./spec, with -benchmem): one contact, and lists of 1,000, 5,000 and 10,000 campaigns, with
//     the cost per item of each list size against the smallest;
//   - the runner's peak resident memory on the 10,000-campaign list;
//   - the whole suite with the round trip on the wire (wire.go): through a delay proxy, over plain
//     HTTP and over TLS, with the connections and handshakes it cost, against the physical limit.
//
// It prints timings; it asserts none. Run it from the repository's root: `make bench`.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// The targets of issue 7.
const (
	targetRunRatio = 0.2
	targetContact  = 40 * time.Microsecond
	targetList     = 150 * time.Millisecond
	listItems      = 10000
)

// launchArg makes this program the launcher of one runner process (see peakRSS).
const launchArg = "-launch-and-report-peak-rss"

func main() {
	if len(os.Args) > 2 && os.Args[1] == launchArg {
		os.Exit(launch(os.Args[2], os.Args[3:]))
	}
	runs := flag.Int("runs", 3, "runs of each runner measurement (the median is reported, with the range)")
	count := flag.Int("count", 3, "go test -count for the validation benchmarks")
	latency := flag.Duration("latency", 100*time.Millisecond, "the reference server's delay before every answer")
	concurrency := flag.String("concurrency", "", `comma-separated --concurrency values to measure besides the default, e.g. "4,16"`)
	gobin := flag.String("go", "go", "the go command")
	rtt := flag.Duration("rtt", 100*time.Millisecond, "the delay proxy's round-trip time")
	wireRuns := flag.Int("wire-runs", 2, "runs of each setting through the delay proxy")
	wireConcurrency := flag.String("wire-concurrency", "1,8,16", "comma-separated --concurrency values to measure through the delay proxy")
	parts := flag.String("parts", strings.Join(allParts, ","), "comma-separated parts to measure: "+strings.Join(allParts, ", "))
	flag.Parse()
	if err := bench(*gobin, *runs, *count, *latency, *concurrency, *rtt, *wireRuns, *wireConcurrency, *parts); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s\n", err)
		os.Exit(1)
	}
}

type row struct{ measure, value, target, ratio string }

// allParts are what -parts selects from, in the order they run.
var allParts = []string{"run", "package", "validation", "memory", "wire"}

func bench(gobin string, runs, count int, latency time.Duration, extraConcurrency string, rtt time.Duration, wireRuns int, wireConcurrency, partList string) error {
	if _, err := os.Stat("go.mod"); err != nil {
		return errors.New("run from the repository's root (make bench)")
	}
	if runs < 1 || wireRuns < 1 || count < 1 || latency <= 0 || rtt <= 0 {
		return errors.New("-runs, -wire-runs and -count must be at least 1, -latency and -rtt positive")
	}
	extra, err := positiveInts("-concurrency", extraConcurrency)
	if err != nil {
		return err
	}
	settings := append([]int{0}, extra...) // 0 leaves the runner's default
	wireSettings, err := positiveInts("-wire-concurrency", wireConcurrency)
	if err != nil {
		return err
	}
	parts := map[string]bool{}
	for _, p := range strings.Split(partList, ",") {
		if p = strings.TrimSpace(p); !slices.Contains(allParts, p) {
			return fmt.Errorf("-parts: %q is not one of %s", p, strings.Join(allParts, ", "))
		}
		parts[p] = true
	}
	fmt.Printf("machine: %d CPUs, %s, %s %s/%s, load average %s at start\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadAverage())

	dir, err := os.MkdirTemp("", "bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	binary := filepath.Join(dir, "runner")
	if out, err := exec.Command(gobin, "build", "-o", binary, "./runner/cmd/contacts-conformance").CombinedOutput(); err != nil {
		return fmt.Errorf("building the runner: %v\n%s", err, out)
	}

	var rows []row
	for _, n := range settings {
		if !parts["run"] {
			break
		}
		r, err := measureRun(binary, runs, latency, n)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if parts["package"] {
		r, err := measurePackage(gobin, dir, runs, latency)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if parts["validation"] {
		validation, err := measureValidation(gobin, count)
		if err != nil {
			return err
		}
		rows = append(rows, validation...)
	}
	if parts["memory"] {
		memory, err := measureMemory(binary, runs)
		if err != nil {
			return err
		}
		rows = append(rows, memory...)
	}
	var wire []*wireRow
	if parts["wire"] {
		if wire, err = measureWire(gobin, binary, dir, wireRuns, rtt, wireSettings); err != nil {
			return err
		}
	}

	fmt.Printf("\nload average %s at the end\n", loadAverage())
	if len(rows) > 0 {
		fmt.Println()
		fmt.Println("| measure | value (median, range) | target | ratio |")
		fmt.Println("|---|---|---|---|")
		for _, r := range rows {
			fmt.Printf("| %s | %s | %s | %s |\n", r.measure, r.value, r.target, r.ratio)
		}
	}
	if len(wire) > 0 {
		printWire(wire, rtt)
	}
	return nil
}

// positiveInts parses a comma-separated list of positive integers.
func positiveInts(flagName, list string) ([]int, error) {
	var ns []int
	for _, s := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flagName, s)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// measureRun times whole runs of the binary against a reference server that answers after the
// given latency, and compares them with sending the same requests one after the other.
func measureRun(binary string, runs int, latency time.Duration, concurrency int) (row, error) {
	var requests atomic.Int64
	srv, err := refserver.Start(refserver.Options{Latency: latency, Observe: func(*http.Request) { requests.Add(1) }})
	if err != nil {
		return row{}, err
	}
	defer srv.Close()
	args := []string{"--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID,
		"--foreign-contact-id", srv.ForeignContactID, "--seed", "1", "--quiet"}
	label := fmt.Sprintf("default (%d)", engine.DefaultConcurrency)
	if concurrency > 0 {
		args = append(args, "--concurrency", strconv.Itoa(concurrency))
		label = strconv.Itoa(concurrency)
	}
	var ratios, walls []float64
	var sent int64
	for range runs {
		before := requests.Load()
		started := time.Now()
		if err := runBinary(binary, args); err != nil {
			return row{}, err
		}
		wall := time.Since(started)
		sent = requests.Load() - before
		bound := time.Duration(sent) * latency
		walls = append(walls, wall.Seconds())
		ratios = append(ratios, wall.Seconds()/bound.Seconds())
		fmt.Printf("run, concurrency %s: %d requests in %s, sequential bound %s, ratio %.3f\n", label, sent, wall.Round(time.Millisecond), bound, wall.Seconds()/bound.Seconds())
	}
	return row{
		measure: fmt.Sprintf("full run, %s latency, concurrency %s, %d requests", short(latency), label, sent),
		value:   fmt.Sprintf("%.2f s (%.2f–%.2f)", median(walls), slices.Min(walls), slices.Max(walls)),
		target:  fmt.Sprintf("≤ %.1f × %s", targetRunRatio, short(time.Duration(sent)*latency)),
		ratio:   fmt.Sprintf("%.3f (%.3f–%.3f)", median(ratios), slices.Min(ratios), slices.Max(ratios)),
	}, nil
}

// runBinary runs the runner, which must find the reference server conformant.
func runBinary(binary string, args []string) error {
	cmd := exec.Command(binary, args...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the runner failed against the reference server (%v): %s", err, stderr.String())
	}
	return nil
}

// peakRSS runs the runner and returns its peak resident memory in bytes. Linux reports a child's
// peak at exit, but counts in it what the parent held when the child was started: Go starts
// children with vfork, and the kernel carries the high-water mark of the shared memory across the
// exec. This program holds a 10,000-campaign server, so the runner is started by a launcher, this
// program again, whose few megabytes are all that can leak into the figure.
func peakRSS(binary string, args []string) (int64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, append([]string{launchArg, binary}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("the runner failed against the reference server (%v): %s", err, stderr.String())
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// launch runs binary and prints its peak resident memory in bytes.
func launch(binary string, args []string) int {
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", binary, err)
		return 1
	}
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "this system reports no resource usage for a child process")
		return 1
	}
	fmt.Println(usage.Maxrss * 1024) // Linux reports kilobytes
	return 0
}

var benchLine = regexp.MustCompile(`^(BenchmarkValidate\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op.*?(\d+) B/op\s+(\d+) allocs/op`)

// measureValidation runs the Go benchmarks of ./spec, showing their output, and sums them up.
func measureValidation(gobin string, count int) ([]row, error) {
	cmd := exec.Command(gobin, "test", "-run", "^$", "-bench", "^BenchmarkValidate", "-benchmem", "-count", strconv.Itoa(count), "./spec")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	fmt.Println()
	ns := map[string][]float64{}
	memory := map[string]string{}
	var names []string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		fmt.Println(lines.Text())
		m := benchLine.FindStringSubmatch(lines.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		if ns[m[1]] == nil {
			names = append(names, m[1])
		}
		ns[m[1]] = append(ns[m[1]], v)
		memory[m[1]] = fmt.Sprintf("%s B/op, %s allocs/op", m[4], m[5])
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("go test -bench: %v", err)
	}
	fmt.Println()
	var rows []row
	var perItemBase float64
	for _, name := range names {
		d := time.Duration(median(ns[name]))
		spread := fmt.Sprintf("%s (%s–%s), %s", short(d), short(time.Duration(slices.Min(ns[name]))),
			short(time.Duration(slices.Max(ns[name]))), memory[name])
		if name == "BenchmarkValidateContact" {
			rows = append(rows, row{"validation, one contact", spread, "< " + short(targetContact), fmt.Sprintf("%.2f", float64(d)/float64(targetContact))})
			continue
		}
		_, itemsText, ok := strings.Cut(name, "items=")
		items, err := strconv.Atoi(itemsText)
		if !ok || err != nil {
			continue
		}
		perItem := float64(d) / float64(items)
		if perItemBase == 0 {
			perItemBase = perItem
		}
		r := row{
			measure: fmt.Sprintf("validation, list of %d campaigns", items),
			value:   fmt.Sprintf("%s; %.1f µs/item, %.2f × the per-item cost of the smallest list", spread, perItem/1e3, perItem/perItemBase),
		}
		if items == listItems {
			r.target, r.ratio = "< "+short(targetList), fmt.Sprintf("%.2f", float64(d)/float64(targetList))
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, errors.New("go test -bench printed no BenchmarkValidate result")
	}
	return rows, nil
}

// measureMemory runs the binary against a reference server holding 10,000 campaigns, whose
// unlimited list one case asks for, and against the ordinary fixtures, for comparison.
func measureMemory(binary string, runs int) ([]row, error) {
	fx, err := refserver.EmbeddedFixtures()
	if err != nil {
		return nil, err
	}
	if err := fx.SetCampaigns(listItems); err != nil {
		return nil, err
	}
	var rows []row
	for _, fixtures := range []*refserver.Fixtures{fx, nil} {
		srv, err := refserver.Start(refserver.Options{Fixtures: fixtures})
		if err != nil {
			return nil, err
		}
		size, err := listSize(srv)
		if err != nil {
			srv.Close()
			return nil, err
		}
		// The default cap (4 MiB) would refuse the 10,000-campaign list, which is about 10 MB.
		args := []string{"--base-url", srv.URL, "--token", srv.Token, "--contact-id", srv.ContactID,
			"--foreign-contact-id", srv.ForeignContactID, "--seed", "1", "--quiet", "--max-body", strconv.Itoa(64 << 20)}
		var peaks []float64
		for range runs {
			peak, err := peakRSS(binary, args)
			if err != nil {
				srv.Close()
				return nil, err
			}
			peaks = append(peaks, float64(peak))
			fmt.Printf("peak RSS, campaign list of %.1f MB: %.1f MB\n", float64(size)/1e6, float64(peak)/1e6)
		}
		srv.Close()
		r := row{
			measure: fmt.Sprintf("runner peak RSS, list of %d campaigns (%.1f MB body), --max-body 64 MiB", listItems, float64(size)/1e6),
			value:   fmt.Sprintf("%.1f MB (%.1f–%.1f)", median(peaks)/1e6, slices.Min(peaks)/1e6, slices.Max(peaks)/1e6),
			target:  "none set",
			ratio:   fmt.Sprintf("%.1f × the body", median(peaks)/float64(size)),
		}
		if fixtures == nil {
			r.measure, r.target, r.ratio = "runner peak RSS, embedded fixtures, for comparison", "", ""
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// listSize is the size of the unlimited campaign list.
func listSize(srv *refserver.Server) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/campaign/list?limit=100000", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return int(n), err
}

// short prints a duration with three significant digits.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.3g s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3g µs", float64(d)/float64(time.Microsecond))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "CPU model unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "CPU model unknown"
}

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}
