// Package pipeline is the path of an item from its feed to its alerts:
// fetch, parse and normalize a feed (Read), choose the text of an item
// (Expand), detect its language, find its entities and run the
// classifiers on it (Analyze), group it into its story. The daemon runs it
// for every fetch job; vigie once and vigie replay run parts of it.
package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/internal/article"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/schedule"
	"github.com/vigie-news/vigie/internal/source"
)

// Pipeline holds the stages an item goes through, built once at start and
// shared by every worker.
type Pipeline struct {
	Fetcher *fetch.Fetcher
	// Sources reads each kind of source with Fetcher (nil: one is made
	// on first use).
	Sources *source.Reader
	// Articles reads the pages of items whose feed gives only a teaser,
	// with Fetcher (nil: none is read).
	Articles    *article.Reader
	Detector    *lang.Detector
	Classifiers []*classifiers.Classifier
	// Entities is the entity set of the configuration (nil: the built-in one).
	Entities *entities.Set
	Now      func() time.Time

	// mentions keeps the names the entities of the latest items were
	// found under, for their stories (see StoryInput).
	mentions mentionCache
}

// LoadClassifiers loads the classifiers a configuration names: built-in
// names, or paths relative to the configuration file. Its error lists every
// problem as file:line: message.
func LoadClassifiers(cfg *config.Config) ([]*classifiers.Classifier, error) {
	var out []*classifiers.Classifier
	var problems diag.List
	names := map[string]string{}
	for _, ref := range cfg.Classifiers {
		target := ref
		if !slices.Contains(classifiers.Builtin(), ref) && !filepath.IsAbs(ref) {
			target = filepath.Join(filepath.Dir(cfg.Path), ref)
		}
		c, err := classifiers.Load(target)
		if err != nil {
			var list diag.List
			if errors.As(err, &list) {
				problems = append(problems, list...)
			} else {
				problems.Addf(cfg.Path, 0, "classifiers: %s: %v", ref, err)
			}
			continue
		}
		if prev, dup := names[c.Name()]; dup {
			problems.Addf(cfg.Path, 0, "classifiers: %s and %s are both named %q: each classifier needs its own subject", prev, ref, c.Name())
			continue
		}
		names[c.Name()] = ref
		out = append(out, c)
	}
	if len(problems) == 0 {
		// A route that names a classifier Vigie does not run would never
		// receive anything.
		for i, r := range cfg.Notify {
			for _, name := range r.Match.Classifiers {
				if _, ok := names[name]; !ok {
					problems.Addf(cfg.Path, r.Line, "notify[%d].match.classifiers: no classifier named %q (the name inside the rule file, not its path)", i, name)
				}
			}
		}
	}
	return out, problems.Err()
}

// Options are what a pipeline needs beyond the configuration.
type Options struct {
	Logger *slog.Logger
}

// New builds the stages for a configuration: the language models are
// loaded here, once.
func New(cfg *config.Config, o Options) (*Pipeline, error) {
	m, err := LoadModels(cfg)
	if err != nil {
		return nil, err
	}
	f := fetch.New(fetchOptions(cfg, o))
	return &Pipeline{
		Fetcher:     f,
		Sources:     source.New(f, o.Logger),
		Articles:    article.New(article.Options{Fetcher: f, Logger: o.Logger}),
		Detector:    m.Detector,
		Classifiers: m.Classifiers,
		Entities:    m.Entities,
		Now:         time.Now,
	}, nil
}

func fetchOptions(cfg *config.Config, o Options) fetch.Options {
	return fetch.Options{
		UserAgent:     cfg.Fetch.UserAgent, // empty: fetch names Vigie
		Timeout:       cfg.Fetch.Timeout,
		MaxBodyBytes:  cfg.Fetch.MaxBodyBytes,
		PerHost:       cfg.Fetch.PerHost,
		HostGap:       cfg.Fetch.HostGap,
		MaxConcurrent: cfg.Fetch.MaxConcurrent,
		Logger:        o.Logger,
	}
}

// Batch is what one fetch of a feed produced.
type Batch struct {
	// NotModified is true when the server answered 304: there are no items.
	NotModified bool
	FeedTitle   string
	Items       []normalize.Item
	Fetched     time.Time
	Response    *fetch.Response
	// Document is what the document read asks of its readers (ttl,
	// skipHours); nil for a 304.
	Document *schedule.Document
	// Salvaged says why only the items before a break in the document
	// were read, or is "" (see parse.Feed.Salvaged).
	Salvaged string
	// TooOld counts the items left out of Items because they were
	// published longer ago than the feed's max_age.
	TooOld int
	// Kind is the kind of source read (feed, sitemap, listing page).
	Kind source.Kind
	// Bytes is what was read, after decompression (a sitemap index's
	// sitemaps included).
	Bytes int64
	// Missed lists the selectors of a listing page that matched nothing.
	Missed []string
}

// Read fetches a feed (conditionally, with the validators of its last
// fetch), parses and normalizes it.
func (p *Pipeline) Read(ctx context.Context, f config.Feed, etag, lastModified string) (*Batch, error) {
	fetched := p.Now().UTC()
	res, err := p.sources().Read(ctx, f, etag, lastModified, fetched)
	if err != nil {
		return nil, err
	}
	resp := res.Response
	b := &Batch{Fetched: fetched, Response: resp, Kind: res.Kind, Bytes: res.Bytes, Missed: res.Missed}
	if resp.NotModified {
		b.NotModified = true
		return b, nil
	}
	parsed := res.Feed
	b.FeedTitle = parsed.Title
	b.Salvaged = parsed.Salvaged
	if res.Cut != "" {
		b.Salvaged = res.Cut
	}
	b.Items, b.TooOld = normalize.Recent(normalize.Items(f.ID, parsed, res.URL, fetched), f.MaxAgeOf(res.Kind == source.KindSitemap), fetched)
	b.TooOld += res.TooOld
	b.Document = &schedule.Document{Interval: parsed.Interval, Skip: schedule.ParseSkip(parsed.SkipHours, parsed.SkipDays)}
	return b, nil
}

// sources is the pipeline's source reader, made when a pipeline built by
// hand has none.
func (p *Pipeline) sources() *source.Reader {
	if p.Sources == nil {
		return source.New(p.Fetcher, nil)
	}
	return p.Sources
}

// Expand returns the text to classify an item on: the main text of its
// page when the feed's fulltext mode asks for it and the page can be read,
// its feed text otherwise (see internal/article). The error is ctx's.
func (p *Pipeline) Expand(ctx context.Context, f config.Feed, it normalize.Item) (article.Result, error) {
	return p.Articles.Read(ctx, article.Request{
		FeedID:   f.ID,
		FeedURL:  f.URL,
		ItemID:   it.ID,
		Link:     it.URL,
		FeedText: it.Text,
		Mode:     article.Mode(f.FullText),
		Timeout:  f.Timeout,
	})
}

// Analyze detects the item's language, finds its entities and runs every
// classifier on it, on the text its feed gave.
func (p *Pipeline) Analyze(f config.Feed, feedTitle string, it normalize.Item, fetched time.Time) (vigie.Item, []vigie.Alert) {
	return p.AnalyzeText(f, feedTitle, it, article.Result{Text: it.Text, Source: vigie.TextFromFeed}, fetched)
}

// AnalyzeText is Analyze on the text Expand chose, cut to
// vigie.MaxTextRunes: the item carries it, and its source.
func (p *Pipeline) AnalyzeText(f config.Feed, feedTitle string, it normalize.Item, text article.Result, fetched time.Time) (vigie.Item, []vigie.Alert) {
	body := normalize.Bound(text.Text, vigie.MaxTextRunes)
	l := p.Detector.Detect(lang.Input{Title: it.Title, Text: body, Hint: f.Language, Declared: it.Lang})
	title := f.Title
	if title == "" {
		title = feedTitle
	}
	item := vigie.Item{
		Schema:         vigie.ItemSchema,
		ID:             it.ID,
		Feed:           vigie.FeedRef{ID: f.ID, Title: title, URL: redact.URL(f.URL)},
		Title:          it.Title,
		Summary:        it.Summary,
		URL:            it.URL,
		Published:      it.Published,
		Fetched:        fetched,
		Lang:           l.Lang,
		LangConfidence: Round3(l.Confidence),
		Text:           body,
		TextSource:     text.Source,
	}
	return p.ClassifyItem(item, body)
}

// ClassifyItem finds the entities of an item whose language is known, in
// its title and text, and runs every classifier on it with them: the item
// is returned with its entities, and an alert for each classifier that
// matched, carrying them too.
func (p *Pipeline) ClassifyItem(item vigie.Item, text string) (vigie.Item, []vigie.Alert) {
	found := FindEntities(p.Entities, item.Title, text)
	item.Entities = found.Entities()
	p.mentions.put(item.ID, found)
	var alerts []vigie.Alert
	for _, c := range p.Classifiers {
		r := c.Classify(classifiers.Doc{Title: item.Title, Text: text, Lang: item.Lang, Entities: &found})
		if !r.Matched {
			continue
		}
		m := MatchOf(r)
		a := vigie.Alert{Item: item, Classifier: m.Classifier, Score: m.Score, Topics: m.Topics}
		a.Schema = vigie.AlertSchema
		alerts = append(alerts, a)
	}
	return item, alerts
}

// FindEntities finds the entities of a title and text with set, or with the
// built-in set when set is nil (a Pipeline built by hand). A built-in set
// that does not load (vigie check reports why) finds nothing.
func FindEntities(set *entities.Set, title, text string) entities.Found {
	if set == nil {
		set, _ = entities.Default()
	}
	if set == nil {
		return entities.Found{}
	}
	return set.Find(title, text)
}

// Round3 rounds a score or a confidence to the three decimals the payloads carry.
func Round3(x float64) float64 { return math.Round(x*1000) / 1000 }
