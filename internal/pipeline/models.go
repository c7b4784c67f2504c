package pipeline

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/lang"
)

// Models are what analysing text takes: the language detector, the
// classifiers and the entity set.
type Models struct {
	Detector    *lang.Detector
	Classifiers []*classifiers.Classifier
	Entities    *entities.Set
}

// LoadModels loads the language models, the rules and the entity set of
// a configuration, or the defaults (the ten default languages, the
// built-in classifier, the built-in entities) when cfg is nil. The models
// take about a second: the rest loads meanwhile.
func LoadModels(cfg *config.Config) (*Models, error) {
	languages := lang.DefaultLanguages
	if cfg != nil {
		languages = cfg.Languages
	}
	var det *lang.Detector
	var detErr error
	var wg sync.WaitGroup
	wg.Go(func() { det, detErr = lang.New(languages) })
	cls, set, err := LoadRules(cfg)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if detErr != nil {
		return nil, fmt.Errorf("language detector: %w", detErr)
	}
	return &Models{Detector: det, Classifiers: cls, Entities: set}, nil
}

// LoadRules loads the classifiers and the entity set of a configuration,
// or the built-in ones when cfg is nil; the error lists the problems of
// both as file:line: message.
func LoadRules(cfg *config.Config) ([]*classifiers.Classifier, *entities.Set, error) {
	if cfg == nil {
		c, err := classifiers.Load(config.DefaultClassifier)
		set, entErr := entities.Default()
		return []*classifiers.Classifier{c}, set, joinProblems(err, entErr)
	}
	cls, err := LoadClassifiers(cfg)
	set, entErr := cfg.LoadEntities()
	return cls, set, joinProblems(err, entErr)
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

// Match is a classifier's verdict as `vigie classify --jsonl` and
// `vigie once` print it.
type Match struct {
	Classifier string        `json:"classifier"`
	Score      float64       `json:"score"`
	Topics     []vigie.Topic `json:"topics"`
}

// MatchOf is a classifier's verdict as alerts and classify output carry it.
func MatchOf(r classifiers.Result) Match {
	return Match{Classifier: r.Classifier, Score: Round3(r.Score), Topics: r.Topics}
}

// Matches are the verdicts of alerts, never nil.
func Matches(alerts []vigie.Alert) []Match {
	out := make([]Match, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, Match{Classifier: a.Classifier, Score: a.Score, Topics: a.Topics})
	}
	return out
}
