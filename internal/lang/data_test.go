package lang

import (
	"github.com/vigie-news/vigie/internal/sharedtest"

	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns the directory of the project's shared test data
// (../shared/data from the module root), or skips the test when absent.
func sharedData(tb testing.TB) string {
	tb.Helper()
	sharedtest.Path(tb, "data", "langid", "dev.tsv")
	return sharedtest.Path(tb, "data")
}

// sample is one labelled text of the shared data.
type sample struct {
	lang, kind string
	in         Input
}

// Kinds of samples, in the order of the report.
const (
	kindSentences = "sentences"
	kindPairs     = "word-pairs"
	kindWords     = "single-words"
	kindNews      = "news"
	kindTitle     = "title60+hint"
	kindTitleBare = "title60"
	kindTitleLie  = "title60+lie"
)

var kinds = []string{kindSentences, kindPairs, kindWords, kindNews, kindTitleBare, kindTitle, kindTitleLie}

// nearestOther is, for each default language, the language a lying feed
// would most likely declare to do harm: its closest neighbour in the set.
var nearestOther = map[string]string{
	"en": "fr", "fr": "en", "es": "pt", "pt": "es", "de": "en",
	"vi": "fr", "ru": "en", "zh": "ja", "ja": "zh", "ar": "fr",
}

// loadLangID reads langid/dev.tsv: lang, kind and text per line.
func loadLangID(tb testing.TB, data string) []sample {
	tb.Helper()
	f, err := os.Open(filepath.Join(data, "langid", "dev.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			continue
		}
		out = append(out, sample{lang: parts[0], kind: parts[1], in: Input{Text: parts[2]}})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("dev.tsv: no samples")
	}
	return out
}

// newsItem is one line of corpus-dev.jsonl, the fields read here.
type newsItem struct {
	Lang  string `json:"lang"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// loadNews reads corpus-dev.jsonl and returns the full items with no
// prior, and their first 60 characters three times: with the item's
// language as the feed's hint, with no hint, and with a wrong hint (the
// feed lies).
func loadNews(tb testing.TB, data string) (full, title []sample) {
	tb.Helper()
	f, err := os.Open(filepath.Join(data, "corpus-dev.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var it newsItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			tb.Fatalf("corpus-dev.jsonl: %v", err)
		}
		full = append(full, sample{lang: it.Lang, kind: kindNews, in: Input{Title: it.Title, Text: it.Text}})
		head := firstRunes(it.Title+" "+it.Text, 60)
		title = append(title,
			sample{lang: it.Lang, kind: kindTitle, in: Input{Title: head, Hint: it.Lang}},
			sample{lang: it.Lang, kind: kindTitleBare, in: Input{Title: head}},
			sample{lang: it.Lang, kind: kindTitleLie, in: Input{Title: head, Hint: nearestOther[it.Lang]}})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(full) == 0 {
		tb.Fatal("corpus-dev.jsonl: no items")
	}
	return full, title
}

// linguaText is the text lingua-go alone is given for a sample: the title
// and the whole text, as a naive caller would join them.
func linguaText(in Input) string {
	if in.Title == "" {
		return in.Text
	}
	if in.Text == "" {
		return in.Title
	}
	return in.Title + "\n" + in.Text
}
