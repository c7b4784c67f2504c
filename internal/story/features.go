package story

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigie-news/vigie"
)

// Input is what grouping reads of an item.
type Input struct {
	ID string
	// Feed is the feed's id, FeedTitle its title.
	Feed, FeedTitle string
	Lang            string
	Title, Text     string
	URL             string
	// Time is when the item was reported: its publication time, or when
	// it was read when the feed gives none.
	Time     time.Time
	Entities vigie.Entities
	// Names are the names of states and bodies as the item writes them
	// (the entity layer's mentions): Entities hold what they name, so
	// they are not names of their own.
	Names []string
	// Topics are the ids of the topics the classifiers matched.
	Topics []string
}

// Kinds of features, the first byte of a feature's key. Every kind but
// KindWord means the same thing in every language: the key of a state or
// a body (from the entity layer), a topic id, a number written in digits,
// a name written in Latin letters, or the sound of a name in any script.
const (
	KindState  = 'S'
	KindOrg    = 'O'
	KindTopic  = 'T'
	KindNumber = 'N'
	KindYear   = 'Y'
	// KindSmallNumber is a number of two digits: a day of the month, a
	// count of people or states, often the same in unrelated news.
	KindSmallNumber = 'n'
	KindName        = 'L'
	KindSound       = 'P'
	KindWord        = 'W'
)

// Limits of the features of one item. News puts the event in its title and
// first paragraphs: reading further costs time and adds words of other
// stories (the "related" links, the background).
const (
	scanRunes = 2500 // runes of title and text read
	maxWords  = 60   // distinct words kept, in order of appearance
	maxNames  = 40
)

// Features returns the features of an item: its keys, sorted, without
// repeats. They are stored with the item, so that a restart or another
// instance rebuilds the same index without reading the item again.
func Features(in Input) []string {
	var f featureSet
	if len(in.Names) > 0 {
		var ex featureSet
		for _, n := range in.Names {
			scan(&ex, n, in.Lang)
		}
		f.exclude = make(map[string]bool, len(ex.ends))
		for _, k := range ex.strings() {
			if k[0] == KindName || k[0] == KindSound {
				f.exclude[k] = true
			}
		}
	}
	for _, s := range in.Entities.States {
		f.add(KindState, s)
	}
	for _, o := range in.Entities.Orgs {
		f.add(KindOrg, o)
	}
	for _, t := range in.Topics {
		f.add(KindTopic, t)
	}
	text := in.Title
	if in.Text != "" && !strings.HasPrefix(in.Text, in.Title) {
		text += "\n" + in.Text
	} else if in.Text != "" {
		text = in.Text
	}
	scan(&f, text, in.Lang)
	out := f.strings()
	slices.Sort(out)
	return slices.Compact(out)
}

type featureSet struct {
	// buf holds the keys one after the other; ends[i] is where key i
	// ends. One string made of buf at the end gives every key.
	buf          []byte
	ends         []int
	words, names int
	// exclude are names that the entities stand for.
	exclude map[string]bool
}

func (f *featureSet) add(kind byte, key string) {
	f.buf = append(f.buf, kind, ':')
	f.buf = append(f.buf, key...)
	f.ends = append(f.ends, len(f.buf))
}

// name adds a name, or the sound of one, unless it names an entity or
// the item has names enough.
func (f *featureSet) name(kind byte, key string) {
	if f.names >= maxNames {
		return
	}
	start := len(f.buf)
	f.add(kind, key)
	if f.exclude[string(f.buf[start:])] {
		f.buf, f.ends = f.buf[:start], f.ends[:len(f.ends)-1]
		return
	}
	f.names++
}

// strings returns the keys.
func (f *featureSet) strings() []string {
	all := string(f.buf)
	out := make([]string, len(f.ends))
	start := 0
	for i, end := range f.ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

// Scripts of the runs the scanner cuts text into.
const (
	runNone = iota
	runLatin
	runCyrillic
	runArabic
	runGreek
	runKana // katakana: foreign names and loanwords
	runHan  // Han and hiragana: no spaces between words
	runOtherLetters
	runDigits
)

func runOf(r rune) int {
	// The blocks of the scripts of the ten languages first: the Unicode
	// tables are slow to search.
	switch {
	case 0x00C0 <= r && r <= 0x024F && r != 0x00D7 && r != 0x00F7, 0x1E00 <= r && r <= 0x1EFF:
		return runLatin
	case 0x0400 <= r && r <= 0x04FF:
		return runCyrillic
	case 0x0621 <= r && r <= 0x064A, 0x064B <= r && r <= 0x065F, 0x0671 <= r && r <= 0x06D3:
		return runArabic
	case 0x30A1 <= r && r <= 0x30FA, r == 0x30FC:
		return runKana
	case 0x3041 <= r && r <= 0x3096, 0x4E00 <= r && r <= 0x9FFF, 0xAC00 <= r && r <= 0xD7A3:
		return runHan
	}
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z':
			return runLatin
		case '0' <= r && r <= '9':
			return runDigits
		}
		return runNone
	case r >= 0xFF10 && r <= 0xFF19, r >= 0x0660 && r <= 0x0669, r >= 0x06F0 && r <= 0x06F9:
		return runDigits // full-width and Arabic-Indic digits
	case r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A:
		return runLatin // full-width Latin
	case unicode.Is(unicode.Latin, r):
		return runLatin
	case unicode.Is(unicode.Cyrillic, r):
		return runCyrillic
	case unicode.Is(unicode.Arabic, r):
		if unicode.IsLetter(r) {
			return runArabic
		}
		if unicode.IsMark(r) {
			return runArabic // harakat stay inside the word
		}
		return runNone
	case unicode.Is(unicode.Greek, r):
		return runGreek
	case unicode.Is(unicode.Katakana, r) || r == 0x30FC:
		return runKana
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Hangul, r):
		return runHan
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return runOtherLetters
	}
	return runNone
}

// digitValue maps the digits runDigits accepts to ASCII.
func digitValue(r rune) byte {
	switch {
	case r >= '0' && r <= '9':
		return byte(r)
	case r >= 0xFF10 && r <= 0xFF19:
		return byte('0' + r - 0xFF10)
	case r >= 0x0660 && r <= 0x0669:
		return byte('0' + r - 0x0660)
	case r >= 0x06F0 && r <= 0x06F9:
		return byte('0' + r - 0x06F0)
	}
	return 0
}

// scan cuts text into runs of one script and turns them into features.
func scan(f *featureSet, text, lang string) {
	runes := 0
	start, kind := 0, runNone
	prevEnd := 0 // where the previous run ended, to see what lies between
	var num []byte
	flushNum := func() {
		switch {
		case len(num) == 4 && (num[0] == '1' && num[1] == '9' || num[0] == '2' && num[1] == '0'):
			f.add(KindYear, string(num))
		case len(num) == 2:
			f.add(KindSmallNumber, strings.TrimLeft(string(num), "0"))
		case len(num) > 2:
			f.add(KindNumber, strings.TrimLeft(string(num), "0"))
		}
		num = num[:0]
	}
	for i := 0; i <= len(text); {
		r, n := rune(0), 1
		k := runNone
		if i < len(text) {
			r, n = utf8.DecodeRuneInString(text[i:])
			k = runOf(r)
			runes++
			if runes > scanRunes {
				text = text[:i]
				k = runNone
			}
		}
		if k == kind && k != runNone {
			i += n
			continue
		}
		// A run ends at i.
		if kind == runDigits {
			// 41,000 and 41.000, 339,5 and 339.5 are one number written
			// the ways languages write them: the digits count, not the
			// separators.
			for _, d := range text[start:i] {
				num = append(num, digitValue(d))
			}
			if i < len(text) && (text[i] == ',' || text[i] == '.' || text[i] == ' ' && len(num) <= 3) && i+1 < len(text) && runOf(rune(text[i+1])) == runDigits && !(text[i] == ' ' && lang != "fr") {
				// A thousands separator (a space in French): the number goes on.
				start, kind = i+1, runDigits
				i++
				continue
			}
			flushNum()
		} else if kind != runNone {
			f.run(kind, text[start:i], text[prevEnd:start], prevEnd == 0, lang)
		}
		prevEnd = i
		start, kind = i, k
		if i < len(text) && k == runNone {
			start = i + n
		}
		i += n
	}
}

// run turns one run of letters into features. before is the text between
// the previous run and this one; opening is set for the text's first run.
func (f *featureSet) run(kind int, s, before string, opening bool, lang string) {
	switch kind {
	case runLatin:
		first, _ := utf8.DecodeRuneInString(s)
		w := foldLatin(s)
		capital := unicode.IsUpper(first) || first >= 0xFF21 && first <= 0xFF3A
		// In a text of another script, any word in Latin letters is a
		// name (NotPetya in Russian, Microsoft Exchange in Japanese).
		foreign := lang != "" && !latinLang[lang]
		if (capital || foreign) && len(w) >= 3 && !stopNames[w] {
			f.name(KindName, w)
			if p := sound(w); len(p) >= 4 {
				f.name(KindSound, p)
			}
		}
		f.word(w)
	case runCyrillic, runGreek:
		w := strings.ToLower(s)
		f.word(w)
		first, _ := utf8.DecodeRuneInString(s)
		if kind == runCyrillic && unicode.IsUpper(first) && !sentenceStart(before, opening) {
			if p := sound(translit(w)); len(p) >= 4 {
				f.name(KindSound, p)
			}
		}
	case runArabic:
		w := arabicFold(s)
		f.word(w)
		// Arabic has no capitals: any word may be a name, but a word
		// with the article (al-, wal-, bil-, lil-) is not a person's.
		if !hasArabicArticle(w) {
			if p := sound(arabicTranslit(w)); len(p) >= 4 {
				f.name(KindSound, p)
			}
		}
	case runKana:
		if utf8.RuneCountInString(s) >= 3 {
			if p := sound(kanaTranslit(s)); len(p) >= 4 {
				f.name(KindSound, p)
			}
		}
		f.bigrams(s)
	case runHan:
		f.bigrams(s)
	default:
		f.word(strings.ToLower(s))
	}
}

// word adds a word of a spaced script, if long enough to mean something.
func (f *featureSet) word(w string) {
	if utf8.RuneCountInString(w) < 4 || f.words >= maxWords {
		return
	}
	f.words++
	f.add(KindWord, w)
}

// bigrams adds the pairs of characters of a run of a script written
// without spaces, the usual way to index Chinese and Japanese.
func (f *featureSet) bigrams(s string) {
	var prev rune = -1
	for _, r := range s {
		if prev >= 0 && f.words < maxWords {
			f.words++
			f.add(KindWord, string(prev)+string(r))
		}
		prev = r
	}
}

// sentenceStart reports whether a word that follows before (the text
// since the previous word; first: there was none) starts a sentence,
// where a capital says nothing of a name.
func sentenceStart(before string, first bool) bool {
	before = strings.TrimRight(before, " \t\u00a0«\"“'(")
	if before == "" {
		return first
	}
	last, _ := utf8.DecodeLastRuneInString(before)
	return last == '.' || last == '!' || last == '?' || last == '\n' || last == ':' || last == '—' || last == '-'
}

var latinLang = map[string]bool{"en": true, "fr": true, "es": true, "de": true, "pt": true, "vi": true, "it": true, "nl": true, "pl": true, "tr": true, "id": true}

// foldLatin lower-cases a word and takes the accents off its letters.
func foldLatin(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || 'A' <= s[i] && s[i] <= 'Z' {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0xFF21 && r <= 0xFF3A || r >= 0xFF41 && r <= 0xFF5A {
			r -= 0xFF21 - 'A'
		}
		r = unicode.ToLower(r)
		if r >= utf8.RuneSelf {
			if base, ok := latinBase[r]; ok {
				b.WriteString(base)
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// stopNames are words written with a capital that name nothing: a
// sentence's first word, German nouns' common companions.
var stopNames = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the this that these those there their they them then than thus what when where which while who whose why how
		and but for from with without into onto over under after before about against between during since until also yet not nor its his her our your
		one two three four five six seven eight nine ten first second third last new next other some many more most such each every all any both
		monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october november december
		les des une dans pour par sur avec sans selon mais ainsi alors aussi comme cette ces ceux elle elles ils nous vous leur leurs lors depuis apres avant entre
		lundi mardi mercredi jeudi vendredi samedi dimanche janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
		der die das den dem des ein eine einer eines einem einen und oder aber auch nach vor bei mit von zum zur aus auf fur uber unter wie wenn als dass sich sie wir ihr
		montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar marz juni juli oktober dezember
		los las una unos unas del por para con sin sobre tras entre pero como segun este esta estos estas ese esa eso ademas tambien
		lunes martes miercoles jueves viernes sabado domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
		uma umas uns com sem pelo pela pelos pelas mas como segundo este esta isso tambem janeiro fevereiro marco maio junho julho setembro outubro novembro dezembro
		said says according reported report reports news posted updated share read more photo video image file`) {
		m[w] = true
	}
	return m
}()

// sound is a name's skeleton: its consonants by class, with repeats run
// together (Soundex's classes, l with r: Japanese and Arabic write one for
// the other). Macron, Макрон, マクロン and ماكرون all give 5265, as do
// Microsoft and マイクロソフト (526213).
func sound(latin string) string {
	var b []byte
	var last byte
	for i := 0; i < len(latin); i++ {
		c := latin[i]
		var code byte
		switch c {
		case 'b', 'p', 'f', 'v':
			code = '1'
		case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
			code = '2'
		case 'd', 't':
			code = '3'
		case 'l', 'r':
			code = '6'
		case 'm', 'n':
			code = '5'
		case 'h', 'w', 'y':
			continue // neither vowel nor consonant between two of a class
		default:
			last = 0 // a vowel separates two consonants of a class
			continue
		}
		if code != last {
			b = append(b, code)
		}
		last = code
	}
	return string(b)
}

// hasArabicArticle reports whether a folded Arabic word starts with the
// article, alone or after a one-letter conjunction or preposition.
func hasArabicArticle(w string) bool {
	for _, p := range []string{"ال", "وال", "بال", "فال", "كال", "لل"} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}
