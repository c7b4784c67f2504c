package daemon

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/normalize"
)

// ClassifyInput is one line read by `vigie classify --jsonl`.
type ClassifyInput struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Lang, when given, is taken as the item's language.
	Lang string `json:"lang,omitempty"`
	// Hint and Declared are priors for the detection, as a feed's
	// configured language and the language its document declares are.
	Hint     string `json:"hint,omitempty"`
	Declared string `json:"declared,omitempty"`
}

// ClassifyOutput is one line written by `vigie classify --jsonl`.
type ClassifyOutput struct {
	ID             string         `json:"id"`
	Lang           string         `json:"lang"`
	LangConfidence float64        `json:"lang_confidence"`
	Entities       vigie.Entities `json:"entities"`
	Alerts         []Match        `json:"alerts"`
}

// Classifier runs language detection and classification on text, for
// `vigie classify`. It needs no NATS and fetches nothing.
type Classifier struct {
	Detector    *lang.Detector
	Classifiers []*classifiers.Classifier
	Entities    *entities.Set
}

// NewClassifier loads the language models, the rules and the entity set of
// a configuration, or the defaults (the ten default languages, the
// built-in classifier, the built-in entities) when cfg is nil. The models
// take about a second: the rest loads meanwhile.
func NewClassifier(cfg *config.Config) (*Classifier, error) {
	languages := lang.DefaultLanguages
	load := func() ([]*classifiers.Classifier, error) {
		c, err := classifiers.Load(config.DefaultClassifier)
		return []*classifiers.Classifier{c}, err
	}
	loadEntities := entities.Default
	if cfg != nil {
		languages = cfg.Languages
		load = func() ([]*classifiers.Classifier, error) { return LoadClassifiers(cfg) }
		loadEntities = cfg.LoadEntities
	}
	var det *lang.Detector
	var detErr error
	var wg sync.WaitGroup
	wg.Go(func() { det, detErr = lang.New(languages) })
	cls, err := load()
	set, entErr := loadEntities()
	wg.Wait()
	if err = joinProblems(err, entErr); err != nil {
		return nil, err
	}
	if detErr != nil {
		return nil, fmt.Errorf("language detector: %w", detErr)
	}
	return &Classifier{Detector: det, Classifiers: cls, Entities: set}, nil
}

// joinProblems returns the problems of both errors as one diag.List when
// both are lists, so that a check reports them all; otherwise the first
// error.
func joinProblems(a, b error) error {
	var la, lb diag.List
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case errors.As(a, &la) && errors.As(b, &lb):
		return append(append(diag.List{}, la...), lb...)
	}
	return a
}

// Classify detects the language (unless given) and runs every classifier.
func (c *Classifier) Classify(in ClassifyInput) (ClassifyOutput, []classifiers.Result) {
	out := ClassifyOutput{ID: in.ID, Lang: in.Lang, LangConfidence: 1, Alerts: []Match{}}
	if out.Lang == "" {
		l := c.Detector.Detect(lang.Input{Title: in.Title, Text: in.Text, Hint: in.Hint, Declared: in.Declared})
		out.Lang, out.LangConfidence = l.Lang, round3(l.Confidence)
	}
	found := findEntities(c.Entities, in.Title, in.Text)
	out.Entities = found.Entities()
	var results []classifiers.Result
	for _, cl := range c.Classifiers {
		r := cl.Classify(classifiers.Doc{Title: in.Title, Text: in.Text, Lang: out.Lang, Entities: &found})
		results = append(results, r)
		if r.Matched {
			out.Alerts = append(out.Alerts, matchOf(r))
		}
	}
	return out, results
}

// ClassifyJSONL reads one ClassifyInput per line and writes one
// ClassifyOutput per line. A malformed line stops with an error that names
// the line number.
func (c *Classifier) ClassifyJSONL(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 32<<20)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var in ClassifyInput
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if in.Lang != "" && in.Lang != vigie.UndeterminedLang && !lang.Supported(in.Lang) {
			return fmt.Errorf("line %d: unknown language %q", line, in.Lang)
		}
		out, _ := c.Classify(in)
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// ClassifyText classifies a plain-text or HTML document (an article saved
// from the web): its first non-empty line is the title, and the result is
// explained for a reader.
func (c *Classifier) ClassifyText(name string, doc []byte, w io.Writer) error {
	text := string(doc)
	if strings.Contains(text, "</") {
		text = normalize.Text(text)
	}
	title, body := splitTitle(text)
	out, results := c.Classify(ClassifyInput{ID: name, Title: title, Text: body})
	var b strings.Builder
	fmt.Fprintf(&b, "%s: language %s (confidence %.2f)\n", name, out.Lang, out.LangConfidence)
	fmt.Fprintf(&b, "entities: %s\n", entityLine(out.Entities))
	for _, r := range results {
		b.WriteString(strings.TrimRight(r.Explain(), "\n") + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// entityLine shows entities for a reader: "states CN, US; bodies UN".
func entityLine(e vigie.Entities) string {
	var parts []string
	if len(e.States) > 0 {
		parts = append(parts, "states "+strings.Join(e.States, ", "))
	}
	if len(e.Orgs) > 0 {
		parts = append(parts, "bodies "+strings.Join(e.Orgs, ", "))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

func splitTitle(text string) (title, body string) {
	text = strings.TrimLeft(text, " \t\r\n")
	title, body, _ = strings.Cut(text, "\n")
	return strings.TrimSpace(title), strings.TrimSpace(body)
}

// matchOf is a classifier's verdict as alerts and classify output carry it.
func matchOf(r classifiers.Result) Match {
	return Match{Classifier: r.Classifier, Score: round3(r.Score), Topics: r.Topics}
}
