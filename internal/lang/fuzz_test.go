package lang

import (
	"slices"
	"testing"
)

// FuzzDetect feeds arbitrary items and feed languages to the detector: it
// must not panic, and must answer a configured language or und with a
// confidence in [0,1] (0 for und).
func FuzzDetect(f *testing.F) {
	f.Add("Les ministres", "se sont mis d'accord", "fr", "fr-FR")
	f.Add("経済", "", "ja", "")
	f.Add("", "", "", "")
	f.Add("Brasil", "", "es", "pt_BR")
	f.Add("\xff\xfe\x00", "https://x", "und", "-")
	f.Add("Новости", "مؤتمر ICANN", "", "zh-Hans")
	d := defaultDetector(f)
	f.Fuzz(func(t *testing.T, title, text, hint, declared string) {
		r := d.Detect(Input{Title: title, Text: text, Hint: hint, Declared: declared})
		if r.Lang != Und && !slices.Contains(d.codes, r.Lang) {
			t.Fatalf("Lang = %q, not configured", r.Lang)
		}
		if r.Confidence < 0 || r.Confidence > 1 || r.Confidence != r.Confidence {
			t.Fatalf("Confidence = %v", r.Confidence)
		}
		if r.Lang == Und && r.Confidence != 0 {
			t.Fatalf("und with confidence %v", r.Confidence)
		}
		if r.Lang != Und && r.Confidence == 0 {
			t.Fatalf("%s with confidence 0", r.Lang)
		}
	})
}
