package version

import (
	"runtime/debug"
	"testing"
)

// TestFrom: the stamped version wins over the module version, and the
// revision comes from the build information (issue 16, version in the
// binary).
func TestFrom(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name    string
		info    *debug.BuildInfo
		stamped string
		want    Info
	}{
		{"Stamped", info, "v1.5.0-3-gabcdef", Info{Version: "v1.5.0-3-gabcdef", Revision: "0123abc", Modified: true, GoVersion: "go1.26.8"}},
		{"Module", info, "", Info{Version: "v1.4.0", Revision: "0123abc", Modified: true, GoVersion: "go1.26.8"}},
		{"Devel", &debug.BuildInfo{GoVersion: "go1.26.8"}, "", Info{Version: "(devel)", GoVersion: "go1.26.8"}},
		{"NoBuildInfo", nil, "", Info{Version: "(unknown)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := From(tc.info, tc.stamped); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCommitStandsIn: the commit stamped by the linker is the revision when
// the toolchain recorded none.
func TestCommitStandsIn(t *testing.T) {
	saved := Commit
	defer func() { Commit = saved }()
	Commit = "0123456789abcdef0123456789abcdef01234567"
	got := Get()
	info, _ := debug.ReadBuildInfo()
	recorded := From(info, "").Revision
	if recorded == "" && got.Revision != Commit {
		t.Errorf("revision %q, want the stamped %q", got.Revision, Commit)
	}
	if recorded != "" && got.Revision != recorded {
		t.Errorf("revision %q, want the recorded %q", got.Revision, recorded)
	}
}
