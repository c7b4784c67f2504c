package textmatch

import (
	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
	"github.com/kljensen/snowball/norwegian"
	"github.com/kljensen/snowball/russian"
	"github.com/kljensen/snowball/spanish"
	"github.com/kljensen/snowball/swedish"
)

// stemmers are the Snowball stemmers by language key. Terms of these
// languages match the inflected forms of their last word.
var stemmers = map[string]func(string) string{
	"en": func(w string) string { return english.Stem(w, true) },
	"fr": func(w string) string { return french.Stem(w, true) },
	"es": func(w string) string { return spanish.Stem(w, true) },
	"ru": func(w string) string { return russian.Stem(w, true) },
	"sv": func(w string) string { return swedish.Stem(w, true) },
	"nb": func(w string) string { return norwegian.Stem(w, true) },
}

// StemmerFor returns the stemmer of a language key, or nil.
func StemmerFor(lang string) func(string) string { return stemmers[lang] }
