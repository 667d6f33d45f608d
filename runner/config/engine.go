package config

import "github.com/contacts-conformance/suite/runner/engine"

// EngineOptions are the engine's options for this configuration, the same for both drivers. The
// ids the user gave are protected: only GET may reach them.
func (c *Config) EngineOptions() engine.Options {
	return engine.Options{
		BaseURL: c.BaseURL, Token: c.Token, Redact: c.Redact, Timeout: c.Timeout, MaxBody: c.MaxBody,
		Concurrency: c.Concurrency, Strict: c.Strict,
		Deadline: c.Deadline, RateLimit: c.RateLimit, CACerts: c.CACert, Insecure: c.Insecure,
		Protected: []string{c.ContactID, c.ForeignContactID},
		Selection: engine.Selection{Run: c.Run, Skip: c.Skip, RunName: c.RunName, SkipName: c.SkipName},
	}
}

// InsecureWarning is the line every output carries when certificates are not verified.
const InsecureWarning = "WARNING: --insecure: the server's TLS certificate is not verified; anyone between here and the server can read the token and change the answers. Never publish this verdict."
