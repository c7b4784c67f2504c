// Package redact shows URLs fit for logs, errors and payloads: without what
// may be a secret in them (STYLE.md: never put a secret in an error or a
// log).
package redact

import (
	"net/url"
	"slices"
	"strings"
)

// URL shows a feed's, a page's or a server's URL without what may be a
// secret: the user and password, and the query (API keys and tokens often
// travel there), each replaced by "redacted"; the fragment is dropped. A
// comma-separated list of URLs (as nats.url may be) has each redacted. An
// unparsable URL shows nothing of itself.
func URL(raw string) string {
	if parts := strings.Split(raw, ","); len(parts) > 1 && !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(p, "://") }) {
		for i, p := range parts {
			parts[i] = URL(strings.TrimSpace(p))
		}
		return strings.Join(parts, ",")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User == nil && u.RawQuery == "" {
		return raw
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// Host shows a URL whose path may be the secret (a Slack or webhook
// receiver's) by its scheme and host alone, with "/<redacted>" for
// anything else it has.
func Host(raw string) string {
	p, err := url.Parse(raw)
	if err != nil || p.Host == "" {
		return "<redacted>"
	}
	out := p.Scheme + "://" + p.Host
	if p.User != nil || (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" || p.Opaque != "" {
		out += "/<redacted>"
	}
	return out
}

// Secrets cuts every secret out of a text taken from elsewhere (an error
// of the transport, a receiver's answer): each secret, and the path and the
// query of each secret that is a URL. Secrets shorter than four bytes are
// left alone, lest they cut common words.
func Secrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		s = strings.ReplaceAll(s, sec, "<redacted>")
		u, err := url.Parse(sec)
		if err != nil {
			continue
		}
		if len(u.Path) > 1 {
			s = strings.ReplaceAll(s, u.Path, "/<redacted>")
		}
		if u.RawQuery != "" {
			s = strings.ReplaceAll(s, u.RawQuery, "<redacted>")
		}
	}
	return s
}
