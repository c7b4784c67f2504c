package lang

import "strings"

// latinAlphabets lists the letters beyond a-z that each Latin-script
// language writes (lower case, precomposed). A language missing here has an
// unknown alphabet, and no letter is taken as exclusive where it is configured.
var latinAlphabets = map[string]string{
	"en": "",
	"fr": "àâæçéèêëîïôœùûüÿ",
	"es": "áéíñóúü",
	"pt": "àáâãçéêíóôõú",
	"de": "äöüß",
	"it": "àèéìíîòóùú",
	"nl": "áéíóúàèëïöü",
	"vi": "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ",
}

// exclusiveLetters maps each letter that only one of the configured Latin
// languages writes to that language's index, or returns nil when a
// configured Latin language's alphabet is unknown.
func exclusiveLetters(codes []string, latin []int) map[rune]int {
	users := map[rune][]int{}
	for _, i := range latin {
		alpha, ok := latinAlphabets[codes[i]]
		if !ok {
			return nil
		}
		for _, r := range alpha {
			users[r] = append(users[r], i)
		}
	}
	excl := map[rune]int{}
	for r, langs := range users {
		if len(langs) == 1 {
			excl[r] = langs[0]
		}
	}
	return excl
}

// letterEvidence counts, per language index, the Latin words of text that
// carry a letter only that language writes, and the Latin words in all. A
// word with letters exclusive to two languages counts for neither.
func letterEvidence(text string, excl map[rune]int, n int) (words []int, latinWords int) {
	words = make([]int, n)
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return scriptOf(r) != scriptLatin }) {
		latinWords++
		found := -1
		for _, r := range strings.ToLower(w) {
			i, ok := excl[r]
			if !ok {
				continue
			}
			if found >= 0 && found != i {
				found = -2
				break
			}
			found = i
		}
		if found >= 0 {
			words[found]++
		}
	}
	return words, latinWords
}
