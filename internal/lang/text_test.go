package lang

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name        string
		title, text string
		limit       int
		want        string
	}{
		{"title and text", "Title here", "Body text.", 100, "Title here\nBody text."},
		{"text repeats the title", "Big news", "Big news\nMore words.", 100, "Big news\nMore words."},
		{"cut at a word boundary", "", "alpha beta gamma delta", 13, "alpha beta "},
		{"first word longer than the limit", "", "abcdefghij klm", 4, "abcd"},
		{"CJK cut inside the run", "", "联合国大会通过决议", 4, "联合国大"},
		{"link removed", "", "see https://example.org/a/b now", 100, "see  now"},
		{"bare host removed", "", "visit www.example.org today", 100, "visit  today"},
		{"mail removed", "", "write to press@example.org please", 100, "write to  please"},
		{"empty", "", "", 100, ""},
		{"title only", "Only a title", "", 100, "Only a title"},
		{"limit reached in the title", "one two three", "four", 8, "one two "},
		{"CJK text after a title", "Titre", "联合国大会通过决议", 9, "Titre\n联合国"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := excerpt(tt.title, tt.text, tt.limit)
			if got != tt.want {
				t.Errorf("excerpt(%q, %q, %d) = %q, want %q", tt.title, tt.text, tt.limit, got, tt.want)
			}
		})
	}
}

func TestCountScripts(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		dom   script
		share float64
	}{
		{"empty", "", scriptNone, 0},
		{"digits", "2024 — 42%", scriptNone, 0},
		{"Latin words", "hello big world", scriptLatin, 1},
		{"Vietnamese with combining marks", "Vie\u0323\u0302t Nam", scriptLatin, 1},
		{"Cyrillic and Latin", "новые правила для NATO", scriptCyrillic, 0.75},
		{"Han counts per character", "微软和Google", scriptHan, 0.75},
		{"kana makes the CJK group Japanese", "東京の天気", scriptKana, 1},
		{"prolonged sound mark is kana", "ー", scriptKana, 1},
		{"Arabic", "أخبار اليوم", scriptArabic, 1},
		{"Hangul", "정부는 보안", scriptHangul, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := countScripts(tt.text)
			dom, share := c.dominant()
			if dom != tt.dom || share != tt.share {
				t.Errorf("dominant(%q) = %v, %v; want %v, %v", tt.text, dom, share, tt.dom, tt.share)
			}
		})
	}
}

func FuzzExcerpt(f *testing.F) {
	f.Add("Title", "Some text with https://example.org a link", 20)
	f.Add("", "联合国大会通过决议", 3)
	f.Add("\xff\xfe", "bad \xc3 utf8", 5)
	f.Fuzz(func(t *testing.T, title, text string, limit int) {
		if limit < 1 || limit > 1000 {
			return
		}
		got := excerpt(title, text, limit)
		if n := utf8.RuneCountInString(got); n > limit {
			t.Fatalf("excerpt has %d runes, limit %d", n, limit)
		}
		if strings.Contains(got, "://") {
			t.Fatalf("excerpt kept a link: %q", got)
		}
	})
}

func TestLetterEvidence(t *testing.T) {
	codes := DefaultLanguages
	var latin []int
	for i, c := range codes {
		if scriptsOfLanguage(c)[0] == scriptLatin {
			latin = append(latin, i)
		}
	}
	excl := exclusiveLetters(codes, latin)
	idx := func(c string) int { return slices.Index(codes, c) }
	tests := []struct {
		name  string
		text  string
		lang  string // the language with evidence, "" for none
		words int
		total int
	}{
		{"Vietnamese letters", "người Việt", "vi", 2, 2},
		{"shared accents only", "américa política", "", 0, 2},
		{"Spanish eñe", "España", "es", 1, 1},
		{"German eszett", "Straße frei", "de", 1, 2},
		{"two languages in one word", "ñß", "", 0, 1},
		{"upper case", "ĐÀ NẴNG", "vi", 2, 2},
		{"non-Latin ignored", "Новости người", "vi", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, total := letterEvidence(tt.text, excl, len(codes))
			if total != tt.total {
				t.Errorf("Latin words = %d, want %d", total, tt.total)
			}
			for i, n := range words {
				want := 0
				if tt.lang != "" && i == idx(tt.lang) {
					want = tt.words
				}
				if n != want {
					t.Errorf("%s: %d words, want %d", codes[i], n, want)
				}
			}
		})
	}
	if exclusiveLetters([]string{"en", "pl"}, []int{0, 1}) != nil {
		t.Error("exclusiveLetters with an unknown alphabet: want nil")
	}
}
