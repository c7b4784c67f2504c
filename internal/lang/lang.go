// Package lang detects the language of news items: a script pre-pass for
// unambiguous writing systems, lingua-go n-gram models on a bounded excerpt
// for the rest, and the feed's languages as priors for short or ambiguous text.
package lang

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pemistahl/lingua-go"

	"github.com/vigie-news/vigie"
)

// DefaultLanguages is the default set: en fr es ru zh ar vi ja de pt.
var DefaultLanguages = []string{"en", "fr", "es", "ru", "zh", "ar", "vi", "ja", "de", "pt"}

// Und is the language reported when no language can be decided.
const Und = vigie.UndeterminedLang

// Errors returned by New; test them with errors.Is.
var (
	ErrNoLanguages = errors.New("no languages configured")
	ErrUnsupported = errors.New("unsupported language")
)

// Tuning, chosen by measurement on real news (see README.md).
const (
	// maxRunes is how much of an item the n-gram models read. Accuracy on
	// news saturates at 100 runes while the cost keeps growing with length;
	// 200 would be cheaper still, but items that open with boilerplate need
	// the margin (a dev sample opening with HTTP headers is right only from
	// about 230 runes).
	maxRunes = 300
	// hintWeight and declaredWeight multiply the probability of the feed's
	// configured and declared language. They are bounded, so a confident
	// detection of another language still wins: feeds lie.
	hintWeight     = 8
	declaredWeight = 4
	// letterWeight multiplies the probability of the only configured
	// language that writes letters found in the text.
	letterWeight = 20
	// lettersPerEvidence sets how fast lingua's short-text confidences
	// sharpen with length (see sharpen); linguaShortText is the length in
	// letters under which lingua averages instead of summing.
	lettersPerEvidence = 20
	linguaShortText    = 120
	// guardMinWords is the fewest Latin words on which a guard language
	// may win: on one or two words the models confuse neighbours too often.
	guardMinWords = 3
)

// guardLanguages are loaded beside the configured Latin languages to
// recognise text in a language outside the set; they are never reported.
var guardLanguages = []string{"it", "nl"}

// Supported reports whether code is an ISO 639-1 code the detector knows.
func Supported(code string) bool {
	_, ok := linguaLanguage(code)
	return ok
}

// linguaLanguage returns the lingua language for a lower-case ISO 639-1 code.
func linguaLanguage(code string) (lingua.Language, bool) {
	if len(code) != 2 || strings.ToLower(code) != code {
		return lingua.Unknown, false
	}
	iso := lingua.GetIsoCode639_1FromValue(code)
	if iso == lingua.UnknownIsoCode639_1 {
		return lingua.Unknown, false
	}
	l := lingua.GetLanguageFromIsoCode639_1(iso)
	return l, l != lingua.Unknown
}

// Detector detects the language of items among a fixed set of languages.
// It is safe for concurrent use; build one and share it.
type Detector struct {
	codes    []string
	byLingua map[lingua.Language]int  // lingua language -> index in codes
	byScript [numScripts][]int        // script -> indexes of the languages written in it
	excl     map[rune]int             // Latin letter -> the only configured language writing it
	guards   map[lingua.Language]bool // models loaded only to recognise text outside the set
	models   lingua.LanguageDetector
	limit    int     // runes read, maxRunes but in tests
	hintW    float64 // weight of the configured language, hintWeight but in tests
	declW    float64 // weight of the declared language, declaredWeight but in tests
}

// New builds the detector over the given ISO 639-1 codes (models preloaded).
// Duplicates are ignored; an unknown code is an error wrapping ErrUnsupported.
func New(codes []string) (*Detector, error) {
	if len(codes) == 0 {
		return nil, ErrNoLanguages
	}
	d := &Detector{
		byLingua: make(map[lingua.Language]int),
		limit:    maxRunes,
		hintW:    hintWeight,
		declW:    declaredWeight,
	}
	for _, c := range codes {
		l, ok := linguaLanguage(c)
		if !ok {
			return nil, fmt.Errorf("lang %q: %w", c, ErrUnsupported)
		}
		if _, dup := d.byLingua[l]; dup {
			continue
		}
		d.byLingua[l] = len(d.codes)
		d.codes = append(d.codes, c)
		for _, s := range scriptsOfLanguage(c) {
			d.byScript[s] = append(d.byScript[s], len(d.codes)-1)
		}
	}
	d.excl = exclusiveLetters(d.codes, d.byScript[scriptLatin])
	// The n-gram models are needed only where a script is shared by several
	// configured languages (Latin, in the default set); Han without kana is
	// left to hanOnly. Loading nothing else saves most of the memory and
	// build time: the Chinese and Japanese models are the largest.
	var need []lingua.Language
	for s, idx := range d.byScript {
		if len(idx) < 2 || script(s) == scriptHan {
			continue
		}
		for _, i := range idx {
			l, _ := linguaLanguage(d.codes[i])
			if !slices.Contains(need, l) {
				need = append(need, l)
			}
		}
	}
	// Guards: neighbours of the default Latin languages (Italian beside
	// Spanish, Portuguese and French; Dutch beside German and English),
	// loaded so that their text comes out und instead of as the nearest
	// configured language.
	if len(d.byScript[scriptLatin]) >= 2 {
		d.guards = map[lingua.Language]bool{}
		for _, c := range guardLanguages {
			if l, _ := linguaLanguage(c); d.index(c) < 0 {
				d.guards[l] = true
				need = append(need, l)
			}
		}
	}
	if len(need) >= 2 {
		d.models = lingua.NewLanguageDetectorBuilder().
			FromLanguages(need...).
			WithPreloadedLanguageModels().
			Build()
		// Decoding leaves garbage (RSS about 300 MB after the build). The
		// daemon hands it back to the system once it is ready (about
		// 210 MB); forcing it here would cost start-up time.
	}
	return d, nil
}

// Languages returns the ISO 639-1 codes the detector was built over, in the
// order given to New.
func (d *Detector) Languages() []string {
	return slices.Clone(d.codes)
}

// Input is what is known of an item.
type Input struct {
	// Title is the item's title.
	Title string
	// Text is plain text (a summary or the body); it may be long.
	Text string
	// Hint is the feed's configured language; it may be "".
	Hint string
	// Declared is the language the feed itself declares; it may be "" or a
	// tag such as "fr-FR" or "vi-VN".
	Declared string
}

// Result is a detected language.
type Result struct {
	// Lang is an ISO 639-1 code, or "und" when no language can be decided.
	Lang string
	// Confidence is in [0,1]: 0 with "und".
	Confidence float64
}

// Detect returns the language of an item. It reads the title and the start
// of the text, decides by script alone where only one configured language
// uses the text's dominant script, asks the n-gram models otherwise, and
// weighs the feed's languages in as priors. The answer is und for text with
// no letters, in a script no configured language writes, or closer to one
// of the guard languages than to any configured one.
func (d *Detector) Detect(in Input) Result {
	text := excerpt(in.Title, in.Text, d.limit)
	counts := countScripts(text)
	dom, share := counts.dominant()
	if dom == scriptNone {
		return Result{Lang: Und}
	}
	cands := d.byScript[dom]
	if len(cands) == 0 {
		// Written in a script none of the configured languages uses.
		return Result{Lang: Und}
	}
	// p holds a probability per configured language, and last the mass of
	// the guard languages: text outside the set.
	p := make([]float64, len(d.codes)+1)
	switch {
	case len(cands) == 1:
		p[cands[0]] = 1
	case dom == scriptHan:
		d.hanOnly(p, counts[scriptHan])
	default:
		d.ngrams(p, text, cands)
		sharpen(p, text)
		if dom == scriptLatin {
			d.letters(p, text)
		}
	}
	// The configured and the declared language are two statements of one
	// fact, often copied from each other: when they agree they weigh as the
	// stronger alone, so that together they cannot override a detection
	// that either alone would not.
	if baseCode(in.Declared) == baseCode(in.Hint) {
		d.applyPrior(p, in.Hint, max(d.hintW, d.declW))
	} else {
		d.applyPrior(p, in.Hint, d.hintW)
		d.applyPrior(p, in.Declared, d.declW)
	}
	return d.decide(p, share, counts[scriptLatin] >= guardMinWords)
}

// hanOnly spreads the probability of a text written in Han characters with
// no kana between Chinese and Japanese: Japanese writes short headlines and
// single words in kanji alone, but the longer the text, the surer it is that
// a Japanese writer would have used some kana.
func (d *Detector) hanOnly(p []float64, chars int) {
	zh, ja := d.index("zh"), d.index("ja")
	pja := 0.45 / math.Sqrt(float64(max(chars, 1)))
	p[zh] = 1 - pja
	p[ja] = pja
}

// ngrams fills p with lingua's confidence values over the candidates, and
// the last slot of p with the guard languages'.
func (d *Detector) ngrams(p []float64, text string, cands []int) {
	sum, other := 0.0, len(d.codes)
	for _, cv := range d.models.ComputeLanguageConfidenceValues(text) {
		if d.guards[cv.Language()] {
			p[other] += cv.Value()
			sum += cv.Value()
			continue
		}
		i, ok := d.byLingua[cv.Language()]
		if !ok || !slices.Contains(cands, i) {
			continue
		}
		p[i] = cv.Value()
		sum += cv.Value()
	}
	if sum == 0 {
		// No evidence: every candidate is as likely, a prior may decide.
		for _, i := range cands {
			p[i] = 1
		}
	}
}

// sharpen restores the weight of evidence in lingua's confidences for text
// under 120 letters. There lingua averages log-probabilities over the
// characters, so its confidences barely grow with length, and a 60-letter
// title that is plainly Spanish may get es 0.55 against pt 0.45: a fixed
// prior would then override it. Raising them to the power letters/20 (then
// renormalising in decide) makes a sentence weigh more than a word.
func sharpen(p []float64, text string) {
	letters := 0
	for _, r := range text {
		if scriptOf(r) != scriptNone {
			letters++
		}
	}
	if letters >= linguaShortText {
		return // lingua sums log-probabilities: already sharp
	}
	e := float64(letters) / lettersPerEvidence
	if e <= 1 {
		return
	}
	for i := range p {
		p[i] = math.Pow(p[i], e)
	}
}

// letters weighs in the letters that only one configured language writes
// (ư, ơ, đ for Vietnamese; ñ for Spanish; ß, ä, ö for German in the default
// set), which the n-gram models underrate in short text where a loanword
// ties lingua's own rules. The evidence counts only when such words make at
// least half of the Latin words, so that names in another language's text
// ("La ministre Đặng Thị Ngọc Thịnh en visite à Paris") do not move it.
func (d *Detector) letters(p []float64, text string) {
	if len(d.excl) == 0 {
		return
	}
	words, total := letterEvidence(text, d.excl, len(p))
	lang := -1
	for i, n := range words {
		if n == 0 {
			continue
		}
		if lang >= 0 {
			return // exclusive letters of two languages: no evidence
		}
		lang = i
	}
	if lang < 0 || p[lang] == 0 || 2*words[lang] < total {
		return
	}
	p[lang] *= letterWeight
}

// applyPrior multiplies the probability of the language code by weight
// (decide renormalises). A code the detector was not built over is ignored,
// and so is a language the script or lingua's rules ruled out (probability 0).
func (d *Detector) applyPrior(p []float64, code string, weight float64) {
	i := d.index(baseCode(code))
	if i < 0 || p[i] == 0 {
		return
	}
	p[i] *= weight
}

// decide picks the most probable configured language. A tie means no
// decision, and so does text more likely in a guard language than in any
// configured one when guardsWin; on shorter text the guards' probability
// only lowers the confidence.
func (d *Detector) decide(p []float64, share float64, guardsWin bool) Result {
	sum, best, second := 0.0, -1, -1
	for i, v := range p {
		sum += v
		if i == len(d.codes) && !guardsWin {
			continue
		}
		switch {
		case best < 0 || v > p[best]:
			best, second = i, best
		case second < 0 || v > p[second]:
			second = i
		}
	}
	if sum == 0 || p[best] == 0 || best == len(d.codes) || (second >= 0 && p[second] == p[best]) {
		return Result{Lang: Und}
	}
	conf := p[best] / sum * share
	return Result{Lang: d.codes[best], Confidence: math.Min(1, math.Max(0, conf))}
}

// index returns the position of code among the detector's languages, or -1.
func (d *Detector) index(code string) int {
	return slices.Index(d.codes, code)
}

// baseCode reduces a language tag such as "fr-FR", "pt_BR" or "ZH-Hans" to
// its lower-case primary subtag.
func baseCode(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}
