// Package vigie holds the payloads Vigie publishes on NATS: the public contract
// that subscribers decode (vigie.item/v1 and vigie.alert/v1).
package vigie

import "time"

// Schema names carried in every payload's "schema" field.
const (
	ItemSchema  = "vigie.item/v1"
	AlertSchema = "vigie.alert/v1"
)

// UndeterminedLang is the language token used when no language could be decided.
const UndeterminedLang = "und"

// FeedRef identifies the feed an item came from. URL has its user
// information and query redacted: they carry credentials.
type FeedRef struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	URL   string `json:"url"`
}

// Item is a new feed item, published on <prefix>.item.<lang>.<feed-id>.
type Item struct {
	Schema         string    `json:"schema"`
	ID             string    `json:"id"`
	Feed           FeedRef   `json:"feed"`
	Title          string    `json:"title"`
	Summary        string    `json:"summary"`
	URL            string    `json:"url"`
	Published      time.Time `json:"published"`
	Fetched        time.Time `json:"fetched"`
	Lang           string    `json:"lang"`
	LangConfidence float64   `json:"lang_confidence"`
	// Entities are the states and bodies the item names, in its title and
	// the text that was classified.
	Entities Entities `json:"entities"`
	// Text is the plain text that was classified: the feed's (its content,
	// else its description), or the main text of the item's page when the
	// feed gave only a teaser. It is cut, at a word boundary, to about
	// MaxTextRunes characters; alert evidence in field "text" counts in it.
	Text string `json:"text"`
	// TextSource says where Text comes from: TextFromFeed or
	// TextFromArticle.
	TextSource string `json:"text_source"`
	// Story is the story the item belongs to: every report of one event,
	// across feeds and languages, carries its id. Payloads published
	// before stories existed have none.
	Story *Story `json:"story,omitempty"`
}

// Story is the story an item belongs to, as it stood when the item joined
// it: the reports of one event, grouped across feeds and languages.
type Story struct {
	ID string `json:"id"`
	// FirstSeen is the time of the story's earliest report.
	FirstSeen time.Time `json:"first_seen"`
	// Items counts its reports, this one included.
	Items int `json:"items"`
	// Languages of its reports, sorted.
	Languages []string `json:"languages"`
	// Feeds counts the feeds that reported it.
	Feeds int `json:"feeds"`
}

// Values of Item.TextSource.
const (
	TextFromFeed    = "feed"
	TextFromArticle = "article"
)

// MaxTextRunes bounds Item.Text, in characters (Unicode code points): a
// long news article fits whole, and an item with its alerts stays far
// below NATS's 1 MB message limit.
const MaxTextRunes = 20000

// Alert is an item that a classifier matched, published on
// <prefix>.alert.<classifier>.<lang>.<feed-id>.
type Alert struct {
	Item
	Classifier string  `json:"classifier"`
	Score      float64 `json:"score"`
	Topics     []Topic `json:"topics"`
}

// AlertID identifies an alert (see AlertID).
func (a *Alert) AlertID() string { return AlertID(a.ID, a.Classifier) }

// AlertID identifies the alert a classifier raised on an item: the item's
// id and the classifier's name. It is the alert's Nats-Msg-Id, its
// webhook-id, and its key among the deliveries and failures Vigie keeps.
func AlertID(itemID, classifier string) string { return itemID + "." + classifier }

// Topic is one topic of a classifier that an item matched, with the evidence.
type Topic struct {
	ID       string     `json:"id"`
	Score    float64    `json:"score"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is a term found in a field of the item, and how often. When
// the term is the name of a state or body that a rule asked for (a state
// near a cyber term, say), Entity is its key and Term the name as written.
type Evidence struct {
	Term   string `json:"term"`
	Field  string `json:"field"`
	Count  int    `json:"count"`
	Entity string `json:"entity,omitempty"`
}

// Entities are the states and intergovernmental bodies an item names:
// states by ISO 3166-1 alpha-2 code, bodies by upper-case English acronym
// (UN, EU, OSCE, INTERPOL, ICANN...), each sorted.
type Entities struct {
	States []string `json:"states"`
	Orgs   []string `json:"orgs"`
}
