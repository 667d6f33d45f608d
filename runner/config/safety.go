package config

import (
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/internal/oserr"
)

// Safety is what bounds a run and secures its connection: a deadline for the whole run, a cap on
// the request rate, and the TLS trust settings.
type Safety struct {
	// Deadline bounds the whole run: cases not finished by then end as errors, and the run
	// still reports.
	Deadline time.Duration
	// RateLimit caps the requests per second across the run; 0 means no cap.
	RateLimit float64
	// CACertFile names a PEM file of CAs to trust besides the system's; CACert holds its bytes,
	// read and checked once, before anything is sent.
	CACertFile string
	CACert     []byte
	// Insecure skips the verification of the server's certificate. Every report says so.
	Insecure bool
}

type safetyFlags struct {
	s                           *Safety
	deadline, rateLimit, caCert *string
}

func (s *Safety) register(fs *flag.FlagSet) *safetyFlags {
	f := &safetyFlags{s: s}
	f.deadline = fs.String("deadline", "", "")
	f.rateLimit = fs.String("rate-limit", "", "")
	f.caCert = fs.String("ca-cert", "", "")
	fs.BoolVar(&s.Insecure, "insecure", false, "")
	return f
}

// resolve fills what the flags left unset from the environment and validates the result.
func (f *safetyFlags) resolve(given source, getenv func(string) string) error {
	for name, dst := range map[string]*string{"deadline": f.deadline, "rate-limit": f.rateLimit, "ca-cert": f.caCert} {
		if given.fromEnv(name) {
			*dst = getenv(envName(name))
		}
	}
	if err := boolFromEnv("insecure", given.set, getenv, &f.s.Insecure); err != nil {
		return err
	}
	var err error
	if f.s.Deadline, err = duration(given.value("deadline", *f.deadline), *f.deadline, engine.DefaultDeadline); err != nil {
		return err
	}
	if *f.rateLimit != "" {
		r, err := strconv.ParseFloat(*f.rateLimit, 64)
		// A rate far below one request a second would turn into an interval that overflows a
		// time.Duration, silently meaning no limit at all; one request in 1000 s is the floor.
		if err != nil || !(r >= 0.001) || r > 1e6 {
			return fmt.Errorf("%s is not a number of requests per second between 0.001 and 1000000, such as 5 or 0.5", given.value("rate-limit", *f.rateLimit))
		}
		f.s.RateLimit = r
	}
	if f.s.CACertFile = *f.caCert; f.s.CACertFile != "" {
		caCert := given.name("ca-cert")
		if f.s.Insecure {
			return fmt.Errorf("%[1]s and %[2]s contradict each other: %[1]s verifies the certificate against your CA, %[2]s not at all", caCert, given.name("insecure"))
		}
		pem, err := os.ReadFile(f.s.CACertFile)
		if err != nil {
			return fmt.Errorf("%s: cannot read %s: %v", caCert, f.s.CACertFile, oserr.Cause(err))
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: %s holds no PEM certificate", caCert, f.s.CACertFile)
		}
		f.s.CACert = pem
	}
	return nil
}

func (s *Safety) rateLimitText() string {
	if s.RateLimit == 0 {
		return "none"
	}
	return strconv.FormatFloat(s.RateLimit, 'g', -1, 64) + "/s"
}
