package config

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/contacts-conformance/suite/suites"
)

// MaxExplore bounds --explore: a nightly's thousand is the use, a million a mistake that would
// keep a staging server busy for hours.
const MaxExplore = 100000

// registerExplore defines --explore; the function it returns reads its environment variable and
// validates it once the flags are parsed.
func (c *Config) registerExplore(fs *flag.FlagSet) func(env func(string, *string), given source) error {
	raw := fs.String("explore", "", "")
	return func(env func(string, *string), given source) error {
		env("explore", raw)
		c.Explore = suites.DefaultExplore
		if *raw == "" {
			return nil
		}
		n, err := strconv.Atoi(*raw)
		if err != nil || n < 0 || n > MaxExplore {
			return fmt.Errorf("%s is not a number of generated requests from 0 (none) to %d", given.value("explore", *raw), MaxExplore)
		}
		c.Explore = n
		return nil
	}
}
