package runner

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/contacts-conformance/suite/runner/report"
)

// modulePath is the suite's module, the main module of the binary.
const modulePath = "github.com/contacts-conformance/suite"

// Set with -ldflags -X by `make build` from git, for the builds Go does not stamp itself: a git
// worktree (Go looks for a .git directory, golang/go#58218) or GOFLAGS=-buildvcs=false. A VCS
// stamp in the build information wins over them.
var (
	buildRevision string
	buildModified string
)

var revisionPattern = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// buildInfo says which binary this is, from the build information Go stamps into it.
func buildInfo() report.Build {
	info, _ := debug.ReadBuildInfo()
	return buildOf(info, buildRevision, buildModified)
}

// buildOf reads the module version and the VCS stamp from info (nil when the binary carries
// none), falling back on the revision and modified flag given at link time.
func buildOf(info *debug.BuildInfo, revision, modified string) report.Build {
	b := report.Build{Module: modulePath, Version: "(devel)", Go: runtime.Version()}
	if info != nil {
		if info.Main.Path != "" {
			b.Module = info.Main.Path
		}
		if info.Main.Version != "" {
			b.Version = info.Main.Version
		}
		if info.GoVersion != "" {
			b.Go = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				if m, err := strconv.ParseBool(s.Value); err == nil {
					b.Modified = &m
				}
			}
		}
	}
	if b.Revision == "" && revisionPattern.MatchString(revision) {
		b.Revision = revision
		if m, err := strconv.ParseBool(modified); err == nil {
			b.Modified = &m
		}
	}
	if !revisionPattern.MatchString(b.Revision) {
		b.Revision, b.Time, b.Modified = "", "", nil
	}
	return b
}

// versionLine is what --version prints: the suite version, then the build.
func versionLine(b report.Build) string {
	return "contacts-conformance " + report.Version + " (" + b.String() + ")"
}
