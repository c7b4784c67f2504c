package story

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vigie-news/vigie/internal/textmatch"
)

// The transliterations below serve only sound: they need to give a
// name's consonants in the order they are heard, not a spelling anyone
// would write.

// latinBase maps accented Latin letters (lower case) to their base letters.
var latinBase = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ł': "l", 'ð': "d", 'þ': "th", 'ı': "i"}
	for _, block := range [][2]rune{{0x00C0, 0x024F}, {0x1E00, 0x1EFF}} {
		for r := block[0]; r <= block[1]; r++ {
			lr := unicode.ToLower(r)
			if _, ok := m[lr]; ok {
				continue
			}
			d := norm.NFD.String(string(lr))
			base, _ := utf8.DecodeRuneInString(d)
			if base < utf8.RuneSelf && unicode.IsLetter(base) {
				m[lr] = string(base)
			}
		}
	}
	return m
}()

var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sh",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g",
}

// translit writes a lower-case Cyrillic word in Latin letters.
func translit(w string) string { return spell(w, cyrillic) }

// spell writes w with table, leaving out the runes it does not hold.
func spell(w string, table map[rune]string) string {
	var b strings.Builder
	for _, r := range w {
		if s, ok := table[r]; ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// arabicFold takes the short vowels and other marks off an Arabic word and
// writes each letter in one form (alef with hamza as alef, alef maqsura
// as ya, ta marbuta as ha), as the classifiers' matching does.
func arabicFold(w string) string { return textmatch.FoldString(w, false) }

var arabic = map[rune]string{
	'ا': "a", 'ب': "b", 'ت': "t", 'ث': "s", 'ج': "j", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "z",
	'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z", 'ع': "a",
	'غ': "g", 'ف': "f", 'ق': "k", 'ك': "k", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'و': "w",
	'ي': "y", 'ء': "", 'ؤ': "w", 'ئ': "y", 'پ': "p", 'چ': "ch", 'ڤ': "v", 'گ': "g", 'ک': "k", 'ی': "y",
}

// arabicTranslit writes a folded Arabic word in Latin letters. Arabic
// writes long vowels only, with the letters that are also w and y: they
// are written as w and y, which sound skips.
func arabicTranslit(w string) string { return spell(w, arabic) }

// kana holds katakana syllables in Latin letters (Hepburn, simplified).
var kana = func() map[rune]string {
	rows := []struct {
		chars string
		latin []string
	}{
		{"アイウエオ", []string{"a", "i", "u", "e", "o"}},
		{"ァィゥェォ", []string{"a", "i", "u", "e", "o"}},
		{"カキクケコ", []string{"ka", "ki", "ku", "ke", "ko"}},
		{"ガギグゲゴ", []string{"ga", "gi", "gu", "ge", "go"}},
		{"サシスセソ", []string{"sa", "shi", "su", "se", "so"}},
		{"ザジズゼゾ", []string{"za", "ji", "zu", "ze", "zo"}},
		{"タチツテト", []string{"ta", "chi", "tsu", "te", "to"}},
		{"ダヂヅデド", []string{"da", "ji", "zu", "de", "do"}},
		{"ナニヌネノ", []string{"na", "ni", "nu", "ne", "no"}},
		{"ハヒフヘホ", []string{"ha", "hi", "fu", "he", "ho"}},
		{"バビブベボ", []string{"ba", "bi", "bu", "be", "bo"}},
		{"パピプペポ", []string{"pa", "pi", "pu", "pe", "po"}},
		{"マミムメモ", []string{"ma", "mi", "mu", "me", "mo"}},
		{"ヤユヨ", []string{"ya", "yu", "yo"}},
		{"ャュョ", []string{"ya", "yu", "yo"}},
		{"ラリルレロ", []string{"ra", "ri", "ru", "re", "ro"}},
		{"ワヲン", []string{"wa", "o", "n"}},
		{"ヴ", []string{"vu"}},
	}
	m := map[rune]string{'ッ': "", 'ー': "", '・': ""}
	for _, row := range rows {
		for i, r := range []rune(row.chars) {
			m[r] = row.latin[i]
		}
	}
	return m
}()

// kanaTranslit writes a run of katakana in Latin letters.
func kanaTranslit(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(kana[r])
	}
	return b.String()
}
