package config

import "flag"

// Publication is what a run claims: the profiles (--profile). The runner checks it before
// anything is sent.
type Publication struct {
	// Profile names the claimed profiles, "contacts:strict,campaigns"; empty claims full.
	Profile string
}

func (p *Publication) register(fs *flag.FlagSet) func(env func(string, *string), outDir string) error {
	fs.StringVar(&p.Profile, "profile", "", "")
	return func(env func(string, *string), outDir string) error {
		env("profile", &p.Profile)
		return nil
	}
}
