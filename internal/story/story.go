// Package story groups the reports of one event, across feeds and
// languages, into a story: every item gets the id of the story it belongs
// to, from features that mean the same in every language (see Features).
package story

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/vigie-news/vigie"
)

// DefaultWindow is how far apart in time two reports of one story may be.
const DefaultWindow = 72 * time.Hour

// Story is one event and the items that reported it, as stored.
type Story struct {
	ID string `json:"id"`
	// First and Last are the times of its earliest and latest reports
	// (Member.Time).
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Items are its reports in the order they were grouped, the first
	// MaxItems of them.
	Items []Member `json:"items"`
	// More counts the reports grouped after the first MaxItems, which
	// are not listed: every instance holds every open story, and the
	// payloads that carry a story stay small.
	More int `json:"more,omitempty"`
	// Languages and Feeds count in the reports that are not listed.
	MoreLanguages []string `json:"more_languages,omitempty"`
	MoreFeeds     []string `json:"more_feeds,omitempty"`
}

// Limits of a story. The features of the first MaxIndexed items say what
// the story is about; later items' features are not indexed.
const (
	MaxItems   = 300
	MaxIndexed = 40
)

// Len is the number of reports of the story.
func (s *Story) Len() int { return len(s.Items) + s.More }

// Member is one item of a story.
type Member struct {
	ID        string    `json:"id"`
	Feed      string    `json:"feed"`
	FeedTitle string    `json:"feed_title,omitempty"`
	Lang      string    `json:"lang"`
	Title     string    `json:"title"`
	URL       string    `json:"url,omitempty"`
	Time      time.Time `json:"time"`
	// Grouped is when the item joined the story.
	Grouped time.Time `json:"grouped"`
	// Score is the similarity that put the item in the story, 0 for the
	// item that started it.
	Score float64 `json:"score,omitempty"`
	// Features are the item's features (see Features).
	Features []string `json:"features,omitempty"`
}

// NewID returns the id of a story started by an item: the same on every
// instance, so that a story started twice by one item is one story.
func NewID(itemID string) string {
	sum := sha256.Sum256([]byte("story\x00" + itemID))
	return hex.EncodeToString(sum[:8])
}

// Ref is the story of an item as payloads carry it.
func (s *Story) Ref() *vigie.Story {
	return &vigie.Story{ID: s.ID, FirstSeen: s.First.UTC(), Items: s.Len(), Languages: s.Languages(), Feeds: len(s.Feeds())}
}

// Languages returns the languages of the story's reports, sorted.
func (s *Story) Languages() []string {
	langs := slices.Clone(s.MoreLanguages)
	for _, m := range s.Items {
		if m.Lang != "" && !slices.Contains(langs, m.Lang) {
			langs = append(langs, m.Lang)
		}
	}
	slices.Sort(langs)
	if langs == nil {
		langs = []string{}
	}
	return langs
}

// Feeds returns the ids of the feeds that reported the story, sorted.
func (s *Story) Feeds() []string {
	feeds := slices.Clone(s.MoreFeeds)
	for _, m := range s.Items {
		if !slices.Contains(feeds, m.Feed) {
			feeds = append(feeds, m.Feed)
		}
	}
	slices.Sort(feeds)
	return feeds
}

// Has reports whether the story holds the item.
func (s *Story) Has(itemID string) bool {
	return slices.ContainsFunc(s.Items, func(m Member) bool { return m.ID == itemID })
}

// add puts a member in the story (or replaces the one with its id) and
// extends its span. The story keeps no features: a grouper indexes those
// of the first MaxIndexed reports apart, and a record carries its own.
func (s *Story) add(m Member) {
	m.Features = nil
	switch i := slices.IndexFunc(s.Items, func(x Member) bool { return x.ID == m.ID }); {
	case i >= 0:
		s.Items[i] = m
	case len(s.Items) < MaxItems:
		s.Items = append(s.Items, m)
	default:
		s.More++
		if m.Lang != "" && !slices.Contains(s.MoreLanguages, m.Lang) && !slices.ContainsFunc(s.Items, func(x Member) bool { return x.Lang == m.Lang }) {
			s.MoreLanguages = append(s.MoreLanguages, m.Lang)
		}
		if !slices.Contains(s.MoreFeeds, m.Feed) && !slices.ContainsFunc(s.Items, func(x Member) bool { return x.Feed == m.Feed }) {
			s.MoreFeeds = append(s.MoreFeeds, m.Feed)
		}
	}
	if s.First.IsZero() || m.Time.Before(s.First) {
		s.First = m.Time
	}
	if m.Time.After(s.Last) {
		s.Last = m.Time
	}
}

// clone copies a story deeply enough to change its list of items.
func (s *Story) clone() *Story {
	c := *s
	c.Items = slices.Clone(s.Items)
	c.MoreLanguages = slices.Clone(s.MoreLanguages)
	c.MoreFeeds = slices.Clone(s.MoreFeeds)
	return &c
}

// Collect returns the stories that stories stored whole and records
// make, the records given in the order they were written.
func Collect(whole []*Story, records []*Record) []*Story {
	byID := make(map[string]*Story, len(whole))
	out := make([]*Story, 0, len(whole))
	for _, s := range whole {
		s = s.clone()
		byID[s.ID] = s
		out = append(out, s)
	}
	for _, r := range records {
		s := byID[r.Story]
		if s == nil {
			s = &Story{ID: r.Story}
			byID[r.Story] = s
			out = append(out, s)
		}
		if !s.Has(r.ID) {
			s.join(*r)
		}
	}
	return out
}

// join puts a record's report in the story, and keeps the age the record
// gives the story.
func (s *Story) join(r Record) {
	s.add(r.Member)
	if !r.First.IsZero() && r.First.Before(s.First) {
		s.First = r.First
	}
}
