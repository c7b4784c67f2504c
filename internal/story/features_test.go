package story

import (
	"slices"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
)

func TestSound(t *testing.T) {
	tests := []struct {
		name  string
		latin string
		want  string
	}{
		{"Macron", "macron", "5265"},
		{"Макрон", translit("макрон"), "5265"},
		{"マクロン", kanaTranslit("マクロン"), "5265"},
		{"ماكرون", arabicTranslit(arabicFold("ماكرون")), "5265"},
		{"Microsoft", "microsoft", "526213"},
		{"マイクロソフト", kanaTranslit("マイクロソフト"), "526213"},
		{"Ardern", "ardern", "6365"},
		{"ارديرن", arabicTranslit(arabicFold("ارديرن")), "6365"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sound(tt.latin); got != tt.want {
				t.Errorf("sound(%q) = %q, want %q", tt.latin, got, tt.want)
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	tests := []struct {
		name     string
		in       Input
		want     []string // features that must be there
		wantNone []string // features that must not
	}{
		{
			name: "entities, topics, names and numbers",
			in: Input{Lang: "en", Title: "UK blames Russia for NotPetya attack",
				Text:     "Britain said the attack cost companies $1.2 billion and 41,000 victims in 2017.",
				Entities: vigie.Entities{States: []string{"GB", "RU"}, Orgs: []string{}}, Topics: []string{"attribution-sanctions"},
				Names: []string{"UK", "Russia", "Britain"}},
			want:     []string{"S:GB", "S:RU", "T:attribution-sanctions", "L:notpetya", "n:12", "N:41000", "Y:2017", "W:blames"},
			wantNone: []string{"L:russia", "L:britain", "L:said"},
		},
		{
			name: "one number written the ways languages write it",
			in:   Input{Lang: "ru", Text: "Хакеры похитили 339,5 миллиона рублей"},
			want: []string{"N:3395"},
		},
		{
			name: "a name in Latin letters in Russian, and the sound of one in Cyrillic",
			in:   Input{Lang: "ru", Text: "США сочли атаку NotPetya признаком, заявил президент Макрон."},
			want: []string{"L:notpetya", "P:5265"},
		},
		{
			name: "katakana names and Han bigrams in Japanese",
			in:   Input{Lang: "ja", Text: "マイクロソフトのメールシステム「エクスチェンジ」が狙われた"},
			want: []string{"P:526213", "W:狙わ"},
		},
		{
			name: "a two-digit number is a small number",
			in:   Input{Lang: "fr", Text: "Le 15 mai, 17 États ont signé."},
			want: []string{"n:15", "n:17"},
		},
		{
			name:     "capitals that name nothing",
			in:       Input{Lang: "en", Text: "The minister said. According to reports, This was new."},
			wantNone: []string{"L:the", "L:according", "L:this"},
		},
		{
			name:     "Arabic words with the article are not names",
			in:       Input{Lang: "ar", Text: "استقبل الرئيس ماكرون"},
			want:     []string{"P:5265"},
			wantNone: []string{"P:" + sound(arabicTranslit(arabicFold("الرئيس")))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Features(tt.in)
			if !slices.IsSorted(got) {
				t.Errorf("features not sorted: %v", got)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s missing from %v", w, got)
				}
			}
			for _, w := range tt.wantNone {
				if slices.Contains(got, w) {
					t.Errorf("%s in %v", w, got)
				}
			}
		})
	}
}

// A long article is read only to its first paragraphs: its features are
// bounded whatever its length.
func TestFeaturesBounded(t *testing.T) {
	text := ""
	for i := range 5000 {
		text += "Zeta" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + " 1" + string(rune('0'+i%10)) + "37 "
	}
	got := Features(Input{Lang: "en", Title: "Title", Text: text, Time: time.Now()})
	if len(got) > maxWords+maxNames+scanRunes/4 {
		t.Errorf("%d features from a long text", len(got))
	}
}

func FuzzFeatures(f *testing.F) {
	f.Add("en", "UK blames Russia", "NotPetya 1,2 41.000 マクロン ماكرون Макрон")
	f.Add("ja", "", "４人　２０１８年")
	f.Fuzz(func(t *testing.T, lang, title, text string) {
		got := Features(Input{Lang: lang, Title: title, Text: text})
		for _, k := range got {
			if len(k) < 3 || k[1] != ':' {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}
