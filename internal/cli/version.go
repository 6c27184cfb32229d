package cli

import (
	"runtime/debug"
)

// buildVersion is the version when the release build set none
// (WithVersion): the module version Go recorded (go install …@v1.2.3);
// else "devel" with the commit, and "+dirty" for uncommitted changes, when
// the build had the git metadata (go build in a checkout); else "devel".
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionFromBuildInfo(info)
}

func versionFromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	v := "devel"
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision != "" {
		v += " " + revision[:min(12, len(revision))]
		if modified == "true" {
			v += "+dirty"
		}
	}
	return v
}

// wantsVersion reports whether --version (or -version) is anywhere on the
// command line before a "--" that ends the flags, so that it works after
// other flags and after "demo" too.
func wantsVersion(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--version", "-version":
			return true
		}
	}
	return false
}
