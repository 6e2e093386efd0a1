package main

import (
	"fmt"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/referral-ledger/ledger/version"
)

// versionLine is what `ledger version` and `ledger --version` print. The
// version stamped at build time (package version, set by make build and
// make dist) overrides the module version.
func versionLine() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return formatVersion(withCommit(info, version.Commit), version.Version)
}

// withCommit adds the revision stamped by the linker to info when the go
// command recorded none (a build with -buildvcs=false).
func withCommit(info *debug.BuildInfo, commit string) *debug.BuildInfo {
	if info == nil || commit == "" {
		return info
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return info
		}
	}
	c := *info
	c.Settings = append(slices.Clone(info.Settings), debug.BuildSetting{Key: "vcs.revision", Value: commit})
	return &c
}

// formatVersion reads like "ledger v1.4.0 (revision 0123abc…, committed
// 2026-12-01T10:00:00Z) go1.26.8": the module version (override if not
// empty), then the VCS revision, time and state the binary was built from,
// as the go command recorded them, and the Go version.
func formatVersion(info *debug.BuildInfo, override string) string {
	if info == nil {
		return "ledger " + orDefault(override, "(unknown version)") + " (no build information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var vcs []string
	if r := settings["vcs.revision"]; r != "" {
		vcs = append(vcs, "revision "+r)
	} else {
		vcs = append(vcs, "no VCS revision recorded")
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, "committed "+t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "with uncommitted changes")
	}
	v := orDefault(override, orDefault(info.Main.Version, "(devel)"))
	return fmt.Sprintf("ledger %s (%s) %s", v, strings.Join(vcs, ", "), info.GoVersion)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
