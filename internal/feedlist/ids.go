package feedlist

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// MaxIDLength bounds the ids made for feeds: they go into NATS subjects.
const MaxIDLength = 40

var (
	idPattern = regexp.MustCompile(`^[a-z0-9-]+$`)
	nonID     = regexp.MustCompile(`[^a-z0-9]+`)
)

// ValidID reports whether id is a valid feed id ([a-z0-9-]+).
func ValidID(id string) bool { return idPattern.MatchString(id) && len(id) <= 64 }

// Slug makes an id of a title in a Latin script ("Ministère des Affaires
// étrangères" gives "ministere-des-affaires-etrangeres"): accents dropped,
// lower case, runs of other characters one dash, at most MaxIDLength
// characters cut at a dash. A title in another script gives "".
func Slug(s string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	plain, _, err := transform.String(t, s)
	if err != nil {
		plain = s
	}
	plain = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "đ", "d", "ł", "l").Replace(strings.ToLower(plain))
	slug := strings.Trim(nonID.ReplaceAllString(plain, "-"), "-")
	if len(slug) > MaxIDLength {
		slug = slug[:MaxIDLength]
		if i := strings.LastIndexByte(slug, '-'); i > MaxIDLength/2 {
			slug = slug[:i]
		}
		slug = strings.Trim(slug, "-")
	}
	// A slug of digits and dashes alone says nothing of the feed.
	if strings.Trim(slug, "0123456789-") == "" {
		return ""
	}
	return slug
}

// HostSlug makes an id of a feed's address: its host without "www." and
// the first part of its path ("https://www.aljazeera.net/rss/ar" gives
// "aljazeera-net-rss").
func HostSlug(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "feed"
	}
	s := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if first, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/"); first != "" && !strings.Contains(first, ".") {
		s += "-" + first
	}
	if slug := Slug(s); slug != "" {
		return slug
	}
	return "feed"
}

// Unique returns id, or id-2, id-3... whichever is not taken yet, and
// marks it taken.
func Unique(id string, taken map[string]bool) string {
	out := id
	for n := 2; taken[out]; n++ {
		suffix := fmt.Sprintf("-%d", n)
		base := id
		if len(base)+len(suffix) > MaxIDLength+4 {
			base = strings.TrimRight(base[:MaxIDLength+4-len(suffix)], "-")
		}
		out = base + suffix
	}
	taken[out] = true
	return out
}
