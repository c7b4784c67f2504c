// Package version says which Vigie this is: its version, and the
// User-Agent with which it calls feeds, pages and notification receivers.
package version

import "runtime/debug"

// Product is the name Vigie gives itself to the servers it calls, the
// product token of its User-Agent that robots.txt groups name.
const Product = "Vigie"

// Version is Vigie's version, set at build time with
// -ldflags "-X github.com/vigie-news/vigie/internal/version.Version=v1.2.3";
// otherwise it comes from the module or VCS information Go records.
var Version string

func init() {
	if Version == "" {
		Version = buildVersion()
	}
}

// UserAgent is the User-Agent Vigie sends to the servers it calls (unless
// fetch.user_agent says otherwise): its name and version, and where to
// learn what it is.
func UserAgent() string {
	return Product + "/" + Version + " (news monitor; +https://github.com/vigie-news/vigie)"
}

func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
