// Package version is the ledger's version, as stamped into the binary at
// build time and as the Go toolchain recorded it.
//
// Release builds set Version with the linker:
//
//	go build -ldflags "-X github.com/referral-ledger/ledger/version.Version=$(git describe --tags --always --dirty)" ./cmd/ledger
//
// (make build and make dist do this). Without it the module version from
// the build information is used, which is "(devel)" for a plain go build in
// a checkout.
package version

import (
	"runtime/debug"
)

// Version is the release this binary was built as, set by the linker; empty
// when it was not stamped.
var Version string

// Commit is the revision built from, set by the linker (make build and
// make dist do, from git rev-parse HEAD); it stands in for the revision the
// Go toolchain records, which it leaves out when building without VCS
// stamping (-buildvcs=false).
var Commit string

// Info is what a running binary knows about its own build.
type Info struct {
	Version   string // Version if stamped, else the module version, else "(devel)"
	Revision  string // the VCS revision built from, "" if none was recorded
	Modified  bool   // the working tree had uncommitted changes
	GoVersion string // the Go release that built it
}

// Get returns the running binary's build information.
func Get() Info {
	info, _ := debug.ReadBuildInfo()
	v := From(info, Version)
	if v.Revision == "" {
		v.Revision = Commit
	}
	return v
}

// From reads Info from the build information (nil when there is none) and
// the stamped version (empty when not stamped).
func From(info *debug.BuildInfo, stamped string) Info {
	out := Info{Version: stamped}
	if info == nil {
		if out.Version == "" {
			out.Version = "(unknown)"
		}
		return out
	}
	out.GoVersion = info.GoVersion
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Revision = s.Value
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	if out.Version == "" {
		out.Version = info.Main.Version
	}
	if out.Version == "" {
		out.Version = "(devel)"
	}
	return out
}
