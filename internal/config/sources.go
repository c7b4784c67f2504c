package config

import (
	"fmt"
	"time"

	"github.com/vigie-news/vigie/internal/diag"
)

// MaxAgeOf is the max_age that applies to a feed: its own or the default
// one, else DefaultSitemapMaxAge for a news sitemap and DefaultMaxAge for
// anything else.
func (f Feed) MaxAgeOf(sitemap bool) time.Duration {
	switch {
	case f.MaxAge > 0:
		return f.MaxAge
	case sitemap:
		return DefaultSitemapMaxAge
	default:
		return DefaultMaxAge
	}
}

// validateSources checks what says how a feed's items are read and kept:
// max_age.
func (c *Config) validateSources(file string, lines lineIndex, p *diag.List) {
	checkMaxAge := func(line int, key string, d time.Duration) {
		switch {
		case d < 0:
			p.Addf(file, line, "%s: %s is negative: leave it out for the default (%s), or give a duration such as 72h", key, d, days(DefaultMaxAge))
		case d > SeenRetention:
			p.Addf(file, line, "%s: %s is longer than the %s the seen set keeps an item's id: an item older than that could be published again; use %s or less", key, days(d), days(SeenRetention), days(SeenRetention))
		}
	}
	checkMaxAge(lines.of("defaults", "max_age"), "defaults.max_age", c.Defaults.MaxAge)
	for i, f := range c.Feeds {
		// A feed that took the default's value is reported there, once.
		if f.MaxAge != c.Defaults.MaxAge {
			checkMaxAge(lines.of("feeds", i, "max_age"), fmt.Sprintf("feeds[%d].max_age", i), f.MaxAge)
		}
	}
}

// days writes a duration of whole days as such (2160h is 90 days).
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
