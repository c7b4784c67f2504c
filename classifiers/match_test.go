package classifiers

import (
	"fmt"
	"strconv"
	"testing"
)

// oneTerm compiles a rule set with a single topic holding one term.
func oneTerm(t testing.TB, lang, term string) *Classifier {
	t.Helper()
	src := fmt.Sprintf("name: one\ntopics:\n  - id: t\n    terms:\n      - %s: [%s]\n", lang, strconv.Quote(term))
	c, err := Parse("one.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return c
}

// found reports how often the only term of c is found in text.
func found(c *Classifier, text string) int {
	r := c.Classify(Doc{Text: text})
	n := 0
	for _, tp := range r.Topics {
		for _, e := range tp.Evidence {
			n += e.Count
		}
	}
	return n
}

func TestMatchByFeature(t *testing.T) {
	tests := []struct {
		name string
		lang string
		term string
		text string
		want int
	}{
		// Case folding and NFKC.
		{"case folded", "en", "cyberspace", "Peace in CYBERSPACE and Cyberspace.", 2},
		{"NFKC fullwidth", "en", "OEWG", "The ＯＥＷＧ met.", 1},
		{"NFKC ligature", "en", "official", "the ﬃcial statement", 0},
		{"NFKC ligature in word", "en", "affairs", "foreign aﬀairs", 1},
		{"German sharp s", "de", "Straße", "DIE STRASSE", 1},
		// Accents in Latin scripts.
		{"accents ignored", "fr", "sécurité numérique", "La securite numerique progresse", 1},
		{"accents in capitals", "fr", "sécurité numérique", "LA SÉCURITÉ NUMÉRIQUE", 1},
		{"accents ignored in term", "fr", "securite", "la sécurité", 1},
		{"ligature oe", "fr", "œuvre", "une oeuvre", 1},
		{"decomposed accents", "fr", "débat", "le de\u0301bat", 1},
		// Acronyms.
		{"acronym in capitals", "fr", "ONU", "L'ONU a voté.", 1},
		{"acronym not in lower case", "fr", "UN", "un accord, Un accord", 0},
		{"acronym in capitals only", "en", "UN", "the UN said", 1},
		{"acronym not in mixed case", "en", "ICT", "Ict and ict", 0},
		{"lower-case term matches capitals", "en", "paris call", "PARIS CALL", 1},
		// Word boundaries.
		{"word boundary after", "en", "UN", "UNESCO and UNGA", 0},
		{"word boundary before", "en", "net", "the Internet", 0},
		{"punctuation is a boundary", "en", "UN", "(UN), UN-led, UN's", 3},
		{"digits are part of words", "en", "G7", "G77 and G7", 1},
		// Phrases: spaces, dashes, lines.
		{"phrase over a line break", "en", "working group", "working\n  group", 1},
		{"dash as space", "en", "open-ended working group", "an open ended working group", 1},
		{"non-breaking hyphen", "en", "open-ended working group", "open\u2011ended working group", 1},
		{"curly apostrophe", "fr", "l'espace", "dans l\u2019espace", 1},
		// Trailing *.
		{"wildcard ending", "fr", "cyberattaque*", "deux cyberattaques", 1},
		{"wildcard bare word", "fr", "cyberattaque*", "une cyberattaque", 1},
		{"wildcard keeps start boundary", "en", "cyber*", "hypercyber", 0},
		{"wildcard in Cyrillic", "ru", "кибератак*", "Кибератаки и кибератакам", 2},
		// Stemming (Snowball) in en, fr, es, ru.
		{"stem en plural", "en", "sanction", "new sanctions", 1},
		{"stem en verb", "en", "attribute", "they attributed it", 1},
		{"stem en phrase", "en", "cyber operation", "cyber operations", 1},
		{"stem en unrelated word", "en", "norm", "normal", 0},
		{"stem fr plural", "fr", "cyberattaque", "les cyberattaques", 1},
		{"stem es plural", "es", "ciberataque", "los ciberataques", 1},
		{"stem ru case", "ru", "кибератака", "после кибератаки", 1},
		{"no stem for de", "de", "Angriff", "Angriffe", 0},
		{"no stem for acronyms", "en", "CERT", "CERTS", 0},
		// Vietnamese keeps its tones.
		{"vietnamese exact", "vi", "an ninh mạng", "Hội nghị về An ninh mạng", 1},
		{"vietnamese other tone", "vi", "an ninh mạng", "an ninh màng", 0},
		{"vietnamese no tones", "vi", "an ninh mạng", "an ninh mang", 0},
		{"vietnamese d bar", "vi", "đối thoại", "Đối thoại an ninh", 1},
		// Chinese and Japanese: substrings.
		{"chinese substring", "zh", "网络安全", "加强网络安全合作", 1},
		{"chinese traditional is another term", "zh", "网络安全", "網絡安全", 0},
		{"japanese katakana substring", "ja", "サイバー", "サイバーセキュリティ戦略", 1},
		{"japanese halfwidth katakana", "ja", "サイバー", "ｻｲﾊﾞｰ攻撃", 1},
		{"japanese kanji substring", "ja", "国連", "国連総会で", 1},
		{"latin term next to kanji", "ja", "OEWG", "国連OEWG会合", 1},
		// Arabic.
		{"arabic exact", "ar", "الأمم المتحدة", "قالت الأمم المتحدة", 1},
		{"arabic alef forms", "ar", "الأمم المتحدة", "الامم المتحدة", 1},
		{"arabic diacritics and tatweel", "ar", "الأمن", "الأَمْــن", 1},
		{"arabic teh marbuta", "ar", "اتفاقية", "اتفاقيه", 1},
		{"arabic alef maksura", "ar", "مستوى", "مستوي", 1},
		{"arabic conjunction", "ar", "الأمم المتحدة", "والأمم المتحدة", 1},
		{"arabic preposition and article", "ar", "الأمم المتحدة", "بالأمم المتحدة", 1},
		{"arabic li with article", "ar", "الأمم المتحدة", "للأمم المتحدة", 1},
		{"arabic wa li with article", "ar", "الأمم المتحدة", "وللأمم المتحدة", 1},
		{"arabic article before bare term", "ar", "أمن", "والأمن", 1},
		{"arabic li and article before bare term", "ar", "قراصنة", "للقراصنة", 1},
		{"arabic wa li and article before bare term", "ar", "قراصنة", "وللقراصنة", 1},
		{"arabic not a clitic", "ar", "أمن", "مأمن", 0},
		{"arabic word boundary after", "ar", "أمن", "أمني", 0},
		// Other scripts keep word boundaries.
		{"greek", "el", "κυβερνοχώρος", "ο κυβερνοχώρος", 1},
		{"greek final sigma", "el", "ΚΥΒΕΡΝΟΧΏΡΟΣ", "ο κυβερνοχώρος", 0},
		{"greek lower", "el", "κυβερνοχώροσ", "ΚΥΒΕΡΝΟΧΏΡΟΣ", 1},
		{"korean word", "ko", "사이버", "사이버 안보", 1},
		{"hindi word", "hi", "साइबर", "साइबर सुरक्षा", 1},
		{"russian yo", "ru", "объединённых", "Организация Объединенных Наций", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := oneTerm(t, tt.lang, tt.term)
			if got := found(c, tt.text); got != tt.want {
				t.Errorf("%s term %q in %q: found %d times, want %d", tt.lang, tt.term, tt.text, got, tt.want)
			}
		})
	}
}
