package lang

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pemistahl/lingua-go"
)

// linguaAlone is lingua-go used naively over the same languages: all models
// preloaded in high-accuracy mode, DetectLanguageOf on the whole text.
var linguaAlone = sync.OnceValue(func() lingua.LanguageDetector {
	return newLinguaAlone(DefaultLanguages)
})

func newLinguaAlone(codes []string) lingua.LanguageDetector {
	var langs []lingua.Language
	for _, c := range codes {
		l, _ := linguaLanguage(c)
		langs = append(langs, l)
	}
	return lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).WithPreloadedLanguageModels().Build()
}

// linguaDetect returns lingua-go's answer for a sample as an ISO 639-1 code.
func linguaDetect(det lingua.LanguageDetector, in Input) string {
	l, ok := det.DetectLanguageOf(linguaText(in))
	if !ok {
		return Und
	}
	return strings.ToLower(l.IsoCode639_1().String())
}

// tally counts right answers, and sums Vigie's confidence in right and
// wrong ones.
type tally struct {
	ok, n             int
	confOK, confWrong float64
}

func (t tally) pct() float64 {
	if t.n == 0 {
		return 0
	}
	return 100 * float64(t.ok) / float64(t.n)
}

// scores holds tallies per language and kind, for Vigie and lingua alone.
type scores struct {
	vigie, lingua map[[2]string]tally
	// outside records Vigie's answers on languages outside the set.
	outside map[[2]string][]Result
}

var (
	evalMu    sync.Mutex
	evalCache *scores
)

// evaluate runs both detectors over the shared data, once per test binary.
func evaluate(tb testing.TB) *scores {
	tb.Helper()
	data := sharedData(tb)
	evalMu.Lock()
	defer evalMu.Unlock()
	if evalCache != nil {
		return evalCache
	}
	d := defaultDetector(tb)
	lin := linguaAlone()
	samples := loadLangID(tb, data)
	full, title := loadNews(tb, data)
	samples = append(append(samples, full...), title...)
	s := &scores{
		vigie:   map[[2]string]tally{},
		lingua:  map[[2]string]tally{},
		outside: map[[2]string][]Result{},
	}
	for _, sm := range samples {
		k := [2]string{sm.lang, sm.kind}
		got := d.Detect(sm.in)
		if !slices.Contains(DefaultLanguages, sm.lang) {
			s.outside[k] = append(s.outside[k], got)
			continue
		}
		v := s.vigie[k]
		v.n++
		if got.Lang == sm.lang {
			v.ok++
			v.confOK += got.Confidence
		} else {
			v.confWrong += got.Confidence
		}
		s.vigie[k] = v
		l := s.lingua[k]
		l.n++
		if linguaDetect(lin, sm.in) == sm.lang {
			l.ok++
		}
		s.lingua[k] = l
	}
	evalCache = s
	return s
}

// mean returns the mean accuracy over the default languages for a kind.
func (s *scores) mean(m map[[2]string]tally, kind string) float64 {
	sum := 0.0
	for _, l := range DefaultLanguages {
		sum += m[[2]string{l, kind}].pct()
	}
	return sum / float64(len(DefaultLanguages))
}

// TestAccuracyReport logs accuracy per language and kind, Vigie beside
// lingua-go alone on the same text and languages, and what Vigie answers
// for languages outside the set. Run it with -v.
func TestAccuracyReport(t *testing.T) {
	s := evaluate(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\naccuracy %% (vigie / lingua alone), languages %s\n", strings.Join(DefaultLanguages, " "))
	fmt.Fprintf(&b, "%-5s", "lang")
	for _, k := range kinds {
		fmt.Fprintf(&b, " | %-14s", k)
	}
	b.WriteString("\n")
	row := func(name string, cell func(kind string) (float64, float64, bool)) {
		fmt.Fprintf(&b, "%-5s", name)
		for _, k := range kinds {
			v, l, ok := cell(k)
			if !ok {
				fmt.Fprintf(&b, " | %-14s", "-")
				continue
			}
			fmt.Fprintf(&b, " | %5.1f / %5.1f ", v, l)
		}
		b.WriteString("\n")
	}
	for _, lang := range DefaultLanguages {
		row(lang, func(k string) (float64, float64, bool) {
			key := [2]string{lang, k}
			return s.vigie[key].pct(), s.lingua[key].pct(), s.vigie[key].n > 0
		})
	}
	row("mean", func(k string) (float64, float64, bool) {
		return s.mean(s.vigie, k), s.mean(s.lingua, k), true
	})
	fmt.Fprintf(&b, "\nvigie's mean confidence, right / wrong answers\n%-5s", "")
	for _, k := range kinds {
		var t tally
		for _, l := range DefaultLanguages {
			v := s.vigie[[2]string{l, k}]
			t.ok, t.n, t.confOK, t.confWrong = t.ok+v.ok, t.n+v.n, t.confOK+v.confOK, t.confWrong+v.confWrong
		}
		wrong := "-"
		if t.n > t.ok {
			wrong = fmt.Sprintf("%.2f", t.confWrong/float64(t.n-t.ok))
		}
		fmt.Fprintf(&b, " | %4.2f / %-4s    ", t.confOK/float64(max(t.ok, 1)), wrong)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "\nlanguages outside the set (what vigie answers, mean confidence)\n")
	keys := make([][2]string, 0, len(s.outside))
	for k := range s.outside {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), slices.Index(kinds, a[1])-slices.Index(kinds, b[1]))
	})
	for _, k := range keys {
		rs := s.outside[k]
		count := map[string]int{}
		conf := 0.0
		for _, r := range rs {
			count[r.Lang]++
			conf += r.Confidence
		}
		labels := make([]string, 0, len(count))
		for l := range count {
			labels = append(labels, l)
		}
		slices.SortFunc(labels, func(a, b string) int { return cmp.Or(count[b]-count[a], strings.Compare(a, b)) })
		var parts []string
		for _, l := range labels {
			parts = append(parts, fmt.Sprintf("%s %d", l, count[l]))
		}
		fmt.Fprintf(&b, "%-3s %-13s n=%d, mean confidence %.2f: %s\n", k[0], k[1], len(rs), conf/float64(len(rs)), strings.Join(parts, ", "))
	}
	t.Log(b.String())
}

// TestAccuracyFloors fails when accuracy on the shared dev data falls under
// the floors, set a little under what was measured (see README.md), and at
// 100% where the target is 100% and met.
func TestAccuracyFloors(t *testing.T) {
	s := evaluate(t)
	floors := []struct {
		kind      string
		mean, min float64 // over the default languages, and for each
	}{
		{kindSentences, 99.5, 98.0},
		{kindPairs, 95.8, 80.0},
		{kindWords, 87.5, 60.0},
		{kindNews, 100, 100},
		{kindTitleBare, 98.5, 90.0},
		{kindTitle, 100, 100},
		{kindTitleLie, 97.0, 85.0},
	}
	for _, f := range floors {
		t.Run(f.kind, func(t *testing.T) {
			if m := s.mean(s.vigie, f.kind); m < f.mean {
				t.Errorf("mean accuracy %.2f%% < floor %.2f%%", m, f.mean)
			}
			for _, l := range DefaultLanguages {
				if p := s.vigie[[2]string{l, f.kind}].pct(); p < f.min {
					t.Errorf("%s: accuracy %.2f%% < floor %.2f%%", l, p, f.min)
				}
			}
		})
	}
}

// TestOutsideSetFloors checks what Vigie answers for Italian and Dutch,
// outside the default set: und for sentences, and a low confidence for word
// pairs and single words, where the guards may not win.
func TestOutsideSetFloors(t *testing.T) {
	s := evaluate(t)
	for _, lang := range []string{"it", "nl"} {
		t.Run(lang, func(t *testing.T) {
			rs := s.outside[[2]string{lang, kindSentences}]
			if len(rs) == 0 {
				t.Fatalf("no %s sentences in the data", lang)
			}
			und := 0
			for _, r := range rs {
				if r.Lang == Und {
					und++
				}
			}
			if pct := 100 * float64(und) / float64(len(rs)); pct < 95 {
				t.Errorf("sentences: und for %.1f%%, want >= 95%%", pct)
			}
			for _, kind := range []string{kindPairs, kindWords} {
				rs := s.outside[[2]string{lang, kind}]
				conf := 0.0
				for _, r := range rs {
					conf += r.Confidence
				}
				if m := conf / float64(max(len(rs), 1)); m > 0.3 {
					t.Errorf("%s: mean confidence %.2f, want <= 0.3", kind, m)
				}
			}
		})
	}
}

// TestNotWorseThanLinguaAlone checks that Vigie is at least as accurate as
// lingua-go alone on the same data, but for the price of the guard
// languages: they turn a few samples with no language of their own (a line
// of sports results) into und, so the mean of a kind may be 0.1 point lower
// and a language and kind one point lower, no more. Titles under a lying
// hint are left out: lingua-go alone takes no hint, and what a lie costs is
// bounded by its own floor in TestAccuracyFloors.
func TestNotWorseThanLinguaAlone(t *testing.T) {
	s := evaluate(t)
	for _, kind := range kinds {
		if kind == kindTitleLie {
			continue
		}
		if v, l := s.mean(s.vigie, kind), s.mean(s.lingua, kind); v < l-0.1 {
			t.Errorf("%s: mean accuracy vigie %.2f%% < lingua alone %.2f%%", kind, v, l)
		}
	}
	for k, v := range s.vigie {
		if k[1] == kindTitleLie {
			continue
		}
		if l := s.lingua[k]; v.pct() < l.pct()-1 {
			t.Errorf("%s %s: vigie %d/%d right, lingua alone %d/%d", k[0], k[1], v.ok, v.n, l.ok, l.n)
		}
	}
}
