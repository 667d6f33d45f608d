package config

import (
	"errors"
	"flag"
)

// Publication is what a run claims and how its reports are vouched for: the profiles it claims
// (--profile) and the key that signs the reports (--sign-key). The runner checks both before
// anything is sent.
type Publication struct {
	// Profile names the claimed profiles, "contacts:strict,campaigns"; empty claims full.
	Profile string
	// SignKey is an Ed25519 private key (PKCS#8 PEM) that signs the reports of --out.
	SignKey string
}

func (p *Publication) register(fs *flag.FlagSet) func(env func(string, *string), outDir string) error {
	fs.StringVar(&p.Profile, "profile", "", "")
	fs.StringVar(&p.SignKey, "sign-key", "", "")
	return func(env func(string, *string), outDir string) error {
		env("profile", &p.Profile)
		env("sign-key", &p.SignKey)
		if p.SignKey != "" && outDir == "" {
			return errors.New("--sign-key needs --out DIR: the signature covers the reports written there")
		}
		return nil
	}
}
