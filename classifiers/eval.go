package classifiers

import (
	"bufio"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"
	"strings"
)

// CorpusItem is one labeled item of an evaluation corpus (JSON Lines:
// id, lang, url, title, text, label pos|neg, topics, kind).
type CorpusItem struct {
	ID     string   `json:"id"`
	Lang   string   `json:"lang"`
	URL    string   `json:"url"`
	Title  string   `json:"title"`
	Text   string   `json:"text"`
	Label  string   `json:"label"`
	Topics []string `json:"topics"`
	Kind   string   `json:"kind"`
}

// Labels of corpus items.
const (
	LabelPos = "pos"
	LabelNeg = "neg"
)

// ErrCorpus marks a malformed corpus line.
var ErrCorpus = errors.New("bad corpus item")

// maxCorpusLine bounds one JSON line of a corpus.
const maxCorpusLine = 16 << 20

// ReadCorpus reads a corpus in JSON Lines. Blank lines are skipped; an
// item without id or with a label other than pos and neg is an error
// (ErrCorpus) naming its line.
func ReadCorpus(r io.Reader) ([]CorpusItem, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxCorpusLine)
	var items []CorpusItem
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var it CorpusItem
		if err := json.Unmarshal(b, &it); err != nil {
			return nil, fmt.Errorf("line %d: %w: %w", line, ErrCorpus, err)
		}
		if it.ID == "" {
			return nil, fmt.Errorf("line %d: %w: no id", line, ErrCorpus)
		}
		if it.Label != LabelPos && it.Label != LabelNeg {
			return nil, fmt.Errorf("line %d: %w: %s: label %q, want pos or neg", line, ErrCorpus, it.ID, it.Label)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return items, nil
}

// Part returns the items of part k of n: those whose id's SHA-1, read as a
// big-endian number, is k modulo n. The parts split a corpus the same way
// on every machine, so that rules written on some parts can be measured on
// another that was kept aside.
func Part(items []CorpusItem, k, n int) []CorpusItem {
	var out []CorpusItem
	mod, rem := big.NewInt(int64(n)), new(big.Int)
	for _, it := range items {
		sum := sha1.Sum([]byte(it.ID))
		if rem.Mod(new(big.Int).SetBytes(sum[:]), mod).Int64() == int64(k) {
			out = append(out, it)
		}
	}
	return out
}

// Counts are the outcomes of binary decisions against labels.
type Counts struct {
	TP, FP, FN, TN int
}

// Precision is TP/(TP+FP), or 0 when nothing was predicted.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), or 0 when nothing was to be found.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall, or 0 when both are 0.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (c *Counts) add(gold, pred bool) {
	switch {
	case gold && pred:
		c.TP++
	case !gold && pred:
		c.FP++
	case gold && !pred:
		c.FN++
	default:
		c.TN++
	}
}

// Miss is an item the classifier got wrong: a positive it missed (Label
// pos) or a negative it matched (Label neg).
type Miss struct {
	ID    string
	Lang  string
	Label string
	Score float64
}

// EvalReport measures a classifier on a labeled corpus: whether each item
// matched, overall and per language, and for each topic whether the item
// was given the topic.
type EvalReport struct {
	Classifier string
	Items      int
	Overall    Counts
	ByLang     map[string]Counts
	ByKind     map[string]Counts // by the items' kind of story ("" when unlabeled)
	ByTopic    map[string]Counts
	Misses     []Miss
}

// Evaluate classifies every item and compares with its label and topics.
func Evaluate(c *Classifier, items []CorpusItem) *EvalReport {
	r := &EvalReport{
		Classifier: c.Name(),
		Items:      len(items),
		ByLang:     make(map[string]Counts),
		ByKind:     make(map[string]Counts),
		ByTopic:    make(map[string]Counts),
	}
	for _, t := range c.topics {
		r.ByTopic[t.id] = Counts{}
	}
	for _, it := range items {
		res := c.Classify(Doc{Title: it.Title, Text: it.Text, Lang: it.Lang})
		gold := it.Label == LabelPos
		r.Overall.add(gold, res.Matched)
		lc := r.ByLang[it.Lang]
		lc.add(gold, res.Matched)
		r.ByLang[it.Lang] = lc
		kc := r.ByKind[it.Kind]
		kc.add(gold, res.Matched)
		r.ByKind[it.Kind] = kc
		if gold != res.Matched {
			r.Misses = append(r.Misses, Miss{ID: it.ID, Lang: it.Lang, Label: it.Label, Score: res.Score})
		}
		predicted := make(map[string]bool)
		if res.Matched {
			for _, t := range res.Topics {
				predicted[t.ID] = true
			}
		}
		goldTopics := make(map[string]bool)
		if gold {
			for _, t := range it.Topics {
				goldTopics[t] = true
			}
		}
		for id := range r.ByTopic {
			tc := r.ByTopic[id]
			tc.add(goldTopics[id], predicted[id])
			r.ByTopic[id] = tc
		}
		for id := range goldTopics {
			if _, ok := r.ByTopic[id]; !ok {
				// A topic the classifier does not know: always missed.
				tc := Counts{}
				tc.add(true, false)
				r.ByTopic[id] = tc
			}
		}
	}
	return r
}

// F1 is the overall F1 score of whether items matched.
func (r *EvalReport) F1() float64 { return r.Overall.F1() }

// WriteTable writes the report as Markdown tables: overall, per language,
// per topic, then the misclassified items.
func (r *EvalReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Classifier `%s` on %d items.\n\n", r.Classifier, r.Items)
	header := func(first string) {
		fmt.Fprintf(&b, "| %s | TP | FP | FN | TN | precision | recall | F1 |\n", first)
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	}
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.3f | %.3f | %.3f |\n",
			name, c.TP, c.FP, c.FN, c.TN, c.Precision(), c.Recall(), c.F1())
	}
	header("")
	row("overall", r.Overall)
	b.WriteString("\n")
	header("language")
	for _, k := range sortedKeys(r.ByLang) {
		row(k, r.ByLang[k])
	}
	b.WriteString("\n")
	header("kind")
	for _, k := range sortedKeys(r.ByKind) {
		name := k
		if name == "" {
			name = "(none)"
		}
		row(name, r.ByKind[k])
	}
	b.WriteString("\n")
	header("topic")
	for _, k := range sortedKeys(r.ByTopic) {
		row(k, r.ByTopic[k])
	}
	if len(r.Misses) > 0 {
		b.WriteString("\n| misclassified | language | label | score |\n|---|---|---|---:|\n")
		for _, m := range r.Misses {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", m.ID, m.Lang, m.Label, num(m.Score))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]Counts) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}
