// Command contacts-conformance runs the Contacts API conformance suite against a base URL, or
// against its embedded reference server when none is given. Exit codes: 0 conformant (or only
// failures listed with --expect), 1 at least one conformance failure (or an --expect file out of
// date), 2 the run could not be made (see --help).
package main

import (
	"os"

	"github.com/contacts-conformance/suite/runner"
)

func main() { os.Exit(runner.Main()) }
