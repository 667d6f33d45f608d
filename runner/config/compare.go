package config

import "flag"

// Comparison is what a run is held against besides the contract: the team's expectations file
// and an earlier run. The runner reads both before anything is sent.
type Comparison struct {
	// ExpectFile lists expected failures: case or requirement id, expiry date, reason.
	ExpectFile string
	// BaselineFile is an earlier run's results.json; the reports start with what changed since.
	BaselineFile string
}

func (c *Comparison) register(fs *flag.FlagSet) func(env func(string, *string)) {
	fs.StringVar(&c.ExpectFile, "expect", "", "")
	fs.StringVar(&c.BaselineFile, "baseline", "", "")
	return func(env func(string, *string)) {
		env("expect", &c.ExpectFile)
		env("baseline", &c.BaselineFile)
	}
}
