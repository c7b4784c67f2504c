package classifiers

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pemistahl/lingua-go"

	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/sharedtest"
)

// sharedDir returns ../shared beside the repository root (the directory
// holding go.mod), or skips the test when it is absent.
func sharedDir(tb testing.TB) string { return sharedtest.Dir(tb) }

func loadCorpus(tb testing.TB) []CorpusItem { return loadCorpusFile(tb, "corpus-dev.jsonl") }

// loadCorpusFile reads a corpus of ../shared/data, or skips.
func loadCorpusFile(tb testing.TB, name string) []CorpusItem {
	tb.Helper()
	path := filepath.Join(sharedDir(tb), "data", name)
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("corpus not readable: %v", err)
	}
	defer f.Close()
	items, err := ReadCorpus(f)
	if err != nil {
		tb.Fatalf("ReadCorpus(%s): %v", path, err)
	}
	return items
}

func TestBuiltin(t *testing.T) {
	names := Builtin()
	if !slices.Contains(names, "cyber-diplomacy") {
		t.Fatalf("Builtin() = %v, want cyber-diplomacy among them", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := Load(name)
			if err != nil {
				t.Fatalf("Load(%q): %v", name, err)
			}
			if c.Name() != name {
				t.Errorf("rule file %s.yaml names itself %q", name, c.Name())
			}
		})
	}
}

// The built-in classifier's topic ids are part of the public contract.
func TestCyberDiplomacyTopics(t *testing.T) {
	c, err := Load("cyber-diplomacy")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tp := range c.topics {
		ids = append(ids, tp.id)
	}
	for _, want := range []string{"un-processes", "norms", "international-law", "cbm", "capacity-building",
		"multistakeholder", "cybercrime", "attribution-sanctions", "internet-governance"} {
		if !slices.Contains(ids, want) {
			t.Errorf("topic %s missing from %v", want, ids)
		}
	}
}

// splitSeed takes the first non-empty line of an article as its title.
func splitSeed(s string) (title, text string) {
	s = strings.TrimLeft(s, " \t\r\n")
	title, text, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(title), text
}

func TestSeedsMatch(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sharedDir(t), "seeds", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Skipf("no seed articles: %v", err)
	}
	c, err := Load("cyber-diplomacy")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			title, text := splitSeed(string(b))
			r := c.Classify(Doc{Title: title, Text: text, Lang: "fr"})
			if !r.Matched {
				t.Errorf("seed article does not match:\n%s", r.Explain())
			}
		})
	}
}

// Floors a little under the figures measured on corpus-dev.jsonl; a rule
// or engine change that loses ground fails here.
const (
	floorF1        = 0.96
	floorPrecision = 0.97
	floorRecall    = 0.93
	floorLangF1    = 0.90 // the weakest language
)

func TestCorpusDev(t *testing.T) {
	checkCorpus(t, loadCorpus(t), floors{f1: floorF1, precision: floorPrecision, recall: floorRecall, lang: floorLangF1})
}

// Floors a little under the figures measured on corpus-dev2.jsonl (other
// stories, actors and outlets). The rules were written looking at part 0
// of 2 of it (Part, by a hash of the ids) and at corpus-dev.jsonl; part 1
// was kept aside to measure how they carry to stories they were not
// written for (F1 0.946, precision 1.000, recall 0.897 when first
// measured), then its misses were read too.
const (
	floorDev2F1         = 0.95
	floorDev2Precision  = 0.98
	floorDev2Recall     = 0.92
	floorDev2LangF1     = 0.88
	floorAsideF1        = 0.95
	floorAsidePrecision = 0.97
	floorAsideRecall    = 0.93
)

func TestCorpusDev2(t *testing.T) {
	items := loadCorpusFile(t, "corpus-dev2.jsonl")
	t.Run("all", func(t *testing.T) {
		checkCorpus(t, items, floors{f1: floorDev2F1, precision: floorDev2Precision, recall: floorDev2Recall, lang: floorDev2LangF1})
	})
	t.Run("kept aside", func(t *testing.T) {
		checkCorpus(t, Part(items, 1, 2), floors{f1: floorAsideF1, precision: floorAsidePrecision, recall: floorAsideRecall})
	})
}

// floors are the least a corpus must score; lang 0 checks no language.
type floors struct{ f1, precision, recall, lang float64 }

// checkCorpus evaluates the built-in classifier on items, logs the table and
// fails under the floors.
func checkCorpus(t *testing.T, items []CorpusItem, min floors) {
	t.Helper()
	c, err := Load("cyber-diplomacy")
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(c, items)
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	o := r.Overall
	if r.F1() < min.f1 || o.Precision() < min.precision || o.Recall() < min.recall {
		t.Errorf("F1 %.3f precision %.3f recall %.3f, floors %.2f %.2f %.2f",
			r.F1(), o.Precision(), o.Recall(), min.f1, min.precision, min.recall)
	}
	for l, counts := range r.ByLang {
		if f1 := counts.F1(); f1 < min.lang {
			t.Errorf("%s: F1 %.3f under the floor %.2f for every language", l, f1, min.lang)
		}
	}
}

// BenchmarkClassify measures the built-in classifier on the items of
// corpus-dev.jsonl: items/s in wall time, and items/cpu_s, the same per
// second of CPU used, which a busy machine disturbs less. With entities,
// each item's states and bodies are found first, as the pipeline does;
// without, the classifier is handed an item that names none, so the cost
// of the entity layer is the difference.
func BenchmarkClassify(b *testing.B) {
	items, c, set := benchSetup(b)
	docs := make([]Doc, len(items))
	bytes := 0
	for i, it := range items {
		docs[i] = Doc{Title: it.Title, Text: it.Text, Lang: it.Lang}
		bytes += len(it.Title) + len(it.Text)
	}
	for _, withEntities := range []bool{true, false} {
		b.Run(fmt.Sprintf("entities=%v", withEntities), func(b *testing.B) {
			b.SetBytes(int64(bytes / len(docs)))
			b.ReportAllocs()
			none := &entities.Found{}
			c.Classify(docs[0]) // build the rune tables
			b.ResetTimer()
			cpu0, cpuOK := cpuTime()
			for i := 0; i < b.N; i++ {
				d := docs[i%len(docs)]
				if withEntities {
					found := set.Find(d.Title, d.Text)
					d.Entities = &found
				} else {
					d.Entities = none
				}
				c.Classify(d)
			}
			reportRate(b, cpu0, cpuOK)
		})
	}
}

// benchSetup loads corpus-dev.jsonl, the built-in classifier and the
// built-in entity set.
func benchSetup(b *testing.B) ([]CorpusItem, *Classifier, *entities.Set) {
	b.Helper()
	items := loadCorpus(b)
	c, err := Load("cyber-diplomacy")
	if err != nil {
		b.Fatal(err)
	}
	set, err := entities.Default()
	if err != nil {
		b.Fatal(err)
	}
	return items, c, set
}

// reportRate reports items/s in wall time and, when the CPU time could be
// read at the start (cpu0), items/cpu_s.
func reportRate(b *testing.B, cpu0 time.Duration, cpuOK bool) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	if cpu, ok := cpuTime(); ok && cpuOK && cpu > cpu0 {
		b.ReportMetric(float64(b.N)/(cpu-cpu0).Seconds(), "items/cpu_s")
	}
}

// BenchmarkParse measures compiling the built-in rule set (Load does it
// once per process).
func BenchmarkParse(b *testing.B) {
	data, err := builtin.ReadFile("cyber-diplomacy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("cyber-diplomacy.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkItem measures what the pipeline spends on one item once it is
// parsed (language detection, entities, the built-in classifier) against
// lingua-go alone on the same text, over the same ten languages, on the
// items of corpus-dev.jsonl. Both report items per CPU second: the bar is
// an item cost at most half of lingua-go's.
func BenchmarkItem(b *testing.B) {
	items, c, set := benchSetup(b)
	det, err := lang.New(lang.DefaultLanguages)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, one func(it CorpusItem)) {
		// Warm up: lingua-go loads its models in the background and
		// on first use; three passes leave only the work per item.
		for range 3 {
			for _, it := range items {
				one(it)
			}
		}
		runtime.GC()
		b.ResetTimer()
		cpu0, cpuOK := cpuTime()
		for i := 0; i < b.N; i++ {
			one(items[i%len(items)])
		}
		reportRate(b, cpu0, cpuOK)
	}
	b.Run("pipeline", func(b *testing.B) {
		run(b, func(it CorpusItem) {
			l := det.Detect(lang.Input{Title: it.Title, Text: it.Text})
			found := set.Find(it.Title, it.Text)
			c.Classify(Doc{Title: it.Title, Text: it.Text, Lang: l.Lang, Entities: &found})
		})
	})
	b.Run("lingua-alone", func(b *testing.B) {
		var langs []lingua.Language
		for _, code := range lang.DefaultLanguages {
			langs = append(langs, lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(code)))
		}
		lin := lingua.NewLanguageDetectorBuilder().FromLanguages(langs...).WithPreloadedLanguageModels().Build()
		run(b, func(it CorpusItem) { lin.DetectLanguageOf(it.Title + "\n" + it.Text) })
	})
}
