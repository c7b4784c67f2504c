// Package classify is vigie classify: the language, entities and
// classification of text given by hand, as JSON lines (JSONL) or explained
// for a reader (Explain). It needs no NATS and fetches nothing.
package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/pipeline"
)

// Input is one line read by `vigie classify --jsonl`.
type Input struct {
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

// Output is one line written by `vigie classify --jsonl`.
type Output struct {
	ID             string           `json:"id"`
	Lang           string           `json:"lang"`
	LangConfidence float64          `json:"lang_confidence"`
	Entities       vigie.Entities   `json:"entities"`
	Alerts         []pipeline.Match `json:"alerts"`
}

// Runner runs language detection and classification on text.
type Runner struct{ *pipeline.Models }

// New loads the models of a configuration, or the defaults when cfg is
// nil (see pipeline.LoadModels).
func New(cfg *config.Config) (*Runner, error) {
	m, err := pipeline.LoadModels(cfg)
	if err != nil {
		return nil, err
	}
	return &Runner{m}, nil
}

// DetectAndClassify detects the language (unless given), finds the
// entities and runs every classifier.
func (c *Runner) DetectAndClassify(in Input) (Output, []classifiers.Result) {
	out := Output{ID: in.ID, Lang: in.Lang, LangConfidence: 1, Alerts: []pipeline.Match{}}
	if out.Lang == "" {
		l := c.Detector.Detect(lang.Input{Title: in.Title, Text: in.Text, Hint: in.Hint, Declared: in.Declared})
		out.Lang, out.LangConfidence = l.Lang, pipeline.Round3(l.Confidence)
	}
	found := pipeline.FindEntities(c.Entities, in.Title, in.Text)
	out.Entities = found.Entities()
	var results []classifiers.Result
	for _, cl := range c.Classifiers {
		r := cl.Classify(classifiers.Doc{Title: in.Title, Text: in.Text, Lang: out.Lang, Entities: &found})
		results = append(results, r)
		if r.Matched {
			out.Alerts = append(out.Alerts, pipeline.MatchOf(r))
		}
	}
	return out, results
}

// JSONL reads one Input per line and writes one Output per line. A malformed line stops with an error that names
// the line number.
func (c *Runner) JSONL(r io.Reader, w io.Writer) error {
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
		var in Input
		if err := json.Unmarshal([]byte(raw), &in); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if in.Lang != "" && in.Lang != vigie.UndeterminedLang && !lang.Supported(in.Lang) {
			return fmt.Errorf("line %d: unknown language %q", line, in.Lang)
		}
		out, _ := c.DetectAndClassify(in)
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}

// Explain classifies a plain-text or HTML document (an article saved
// from the web): its first non-empty line is the title, and the result is
// explained for a reader.
func (c *Runner) Explain(name string, doc []byte, w io.Writer) error {
	text := string(doc)
	if strings.Contains(text, "</") {
		text = normalize.Text(text)
	}
	title, body := SplitTitle(text)
	out, results := c.DetectAndClassify(Input{ID: name, Title: title, Text: body})
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

// SplitTitle cuts a document into its first non-empty line, the title,
// and the rest.
func SplitTitle(text string) (title, body string) {
	text = strings.TrimLeft(text, " \t\r\n")
	title, body, _ = strings.Cut(text, "\n")
	return strings.TrimSpace(title), strings.TrimSpace(body)
}
