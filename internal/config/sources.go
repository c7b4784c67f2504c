package config

import (
	"fmt"
	"time"

	"github.com/andybalholm/cascadia"

	"github.com/vigie-news/vigie/internal/diag"
)

// HTML makes a feed a listing page: a web page of stories (a ministry's
// press releases, an agency's news) read with CSS selectors. Item, Title
// and Link are required.
type HTML struct {
	// Item selects one element per story.
	Item string `yaml:"item"`
	// Title selects, inside an item, the element whose text is the title.
	Title string `yaml:"title"`
	// Link selects, inside an item, the element whose href (or the href
	// of the first <a> inside it) is the story's address.
	Link string `yaml:"link"`
	// Date selects, inside an item, the element whose datetime attribute,
	// else its text, is the publication date (optional).
	Date string `yaml:"date"`
	// Summary selects, inside an item, the element whose text is the
	// story's summary (optional).
	Summary string `yaml:"summary"`
}

// Selectors lists the selectors of h by key, in the file's order.
func (h HTML) Selectors() [][2]string {
	return [][2]string{{"item", h.Item}, {"title", h.Title}, {"link", h.Link}, {"date", h.Date}, {"summary", h.Summary}}
}

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
// max_age and a listing page's selectors.
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
		if f.HTML != nil {
			checkHTML(file, lines, i, *f.HTML, p)
		}
	}
}

// checkHTML checks a listing page's selectors: item, title and link are
// required, and each one given must be a valid CSS selector.
func checkHTML(file string, lines lineIndex, i int, h HTML, p *diag.List) {
	where := fmt.Sprintf("feeds[%d].html", i)
	for _, kv := range h.Selectors() {
		key, sel := kv[0], kv[1]
		required := key == "item" || key == "title" || key == "link"
		switch {
		case sel == "" && required:
			p.Addf(file, lines.of("feeds", i, "html"), "%s.%s: required: the CSS selector of %s", where, key, selectorRole[key])
		case sel != "":
			if _, err := cascadia.ParseGroup(sel); err != nil {
				p.Addf(file, lines.of("feeds", i, "html", key), "%s.%s: %q is not a valid CSS selector: %v", where, key, sel, err)
			}
		}
	}
}

// selectorRole says what each selector of a listing page selects.
var selectorRole = map[string]string{
	"item":  "one element per story, such as div.story",
	"title": "the story's title inside an item, such as h3 a",
	"link":  "the story's link inside an item, such as h3 a (its href, or that of the first <a> inside it)",
}

// days writes a duration of whole days as such (2160h is 90 days).
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
