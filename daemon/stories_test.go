package daemon

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
)

// Reports of one event (written for these tests) in three languages, from
// three feeds.
var (
	opcwFR = rssItem{"opcw-fr", "Les Pays-Bas expulsent quatre agents du GRU qui visaient l'OIAC",
		"Le renseignement néerlandais a déjoué le 13 avril une cyberattaque du GRU russe contre l'Organisation pour l'interdiction des armes chimiques (OIAC) à La Haye, a annoncé la ministre de la Défense Ank Bijleveld. Les quatre agents russes ont été expulsés."}
	opcwEN = rssItem{"opcw-en", "Dutch expel four Russian GRU agents over OPCW hacking attempt",
		"The Netherlands disrupted a cyber attack by Russia's GRU military intelligence against the Organisation for the Prohibition of Chemical Weapons (OPCW) in The Hague on April 13, Defence Minister Ank Bijleveld said. The four Russian agents were expelled."}
	opcwDE = rssItem{"opcw-de", "Niederlande weisen vier GRU-Agenten aus",
		"Der niederländische Geheimdienst hat am 13. April einen Cyberangriff des russischen GRU auf die Organisation für das Verbot chemischer Waffen (OPCW) in Den Haag vereitelt, sagte Verteidigungsministerin Ank Bijleveld. Die vier russischen Agenten wurden ausgewiesen."}
)

// storiesOf reads every stored payload of a stream: its story, by item id.
func storiesOf(t *testing.T, r *running, stream string) map[string]*vigie.Story {
	t.Helper()
	out := map[string]*vigie.Story{}
	for _, m := range r.storedMsgs(t, stream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		if it.Story == nil || it.Story.ID == "" {
			t.Errorf("%s payload of %s (%q) without a story: %s", stream, it.ID, it.Title, m.Data)
			continue
		}
		if prev, ok := out[it.ID]; ok && prev.ID != it.Story.ID {
			t.Errorf("item %s in stories %s and %s", it.ID, prev.ID, it.Story.ID)
		}
		out[it.ID] = it.Story
	}
	return out
}

func titles(t *testing.T, r *running) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range r.storedMsgs(t, broker.ItemsStream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		out[it.Title] = it.ID
	}
	return out
}

// Every item and alert carries its story; the reports of one event from
// two feeds in two languages share it, and other news has stories of its
// own. After a restart, a report of the event from a third feed joins the
// same story.
func TestItemsAndAlertsCarryTheirStory(t *testing.T) {
	t.Parallel()
	fr := serveFeed(t, append([]rssItem{opcwFR}, unrelated...))
	en := serveFeed(t, append([]rssItem{opcwEN}, ownItems...))
	de := serveFeed(t, []rssItem{opcwDE})
	dir := t.TempDir()
	feeds := fmt.Sprintf("  - id: fr\n    url: %s/rss\n  - id: en\n    url: %s/rss\n", fr.URL, en.URL)
	begin := time.Now()
	r := start(t, testConfig(t, dir, feeds))
	r.waitFetched(t, "fr", begin)
	r.waitFetched(t, "en", begin)

	ids := titles(t, r)
	items := storiesOf(t, r, broker.ItemsStream)
	alerts := storiesOf(t, r, broker.AlertsStream)
	if len(items) != 2+len(unrelated)+len(ownItems) {
		t.Fatalf("%d items with a story, want %d", len(items), 2+len(unrelated)+len(ownItems))
	}
	event := items[ids[opcwFR.title]]
	if other := items[ids[opcwEN.title]]; other.ID != event.ID {
		t.Fatalf("the two reports of one event are in stories %s and %s", event.ID, other.ID)
	}
	for _, it := range append(append([]rssItem{}, unrelated...), ownItems...) {
		if items[ids[it.title]].ID == event.ID {
			t.Errorf("%q is in the event's story", it.title)
		}
	}
	for id, s := range alerts {
		if s.ID != items[id].ID {
			t.Errorf("alert of %s in story %s, its item in %s", id, s.ID, items[id].ID)
		}
	}
	if _, ok := alerts[ids[opcwEN.title]]; !ok {
		t.Fatalf("no alert for %q", opcwEN.title)
	}
	// The later report's payload says what the story was when it joined.
	later := max(event.Items, items[ids[opcwEN.title]].Items)
	if later != 2 {
		t.Errorf("the story's later report says %d items, want 2", later)
	}
	r.shutdown(t)

	// Restarted on the same store with a third feed.
	begin = time.Now()
	r = start(t, testConfig(t, dir, feeds+fmt.Sprintf("  - id: de\n    url: %s/rss\n", de.URL)))
	r.waitFetched(t, "de", begin)
	s := storiesOf(t, r, broker.ItemsStream)[titles(t, r)[opcwDE.title]]
	if s == nil || s.ID != event.ID || s.Items != 3 || fmt.Sprint(s.Languages) != "[de en fr]" || s.Feeds != 3 {
		t.Errorf("after a restart the third report has story %+v, want %s with 3 items in de, en, fr from 3 feeds", s, event.ID)
	}
}

// Two daemons on one NATS server share the feeds' jobs and the stories:
// the reports of one event from three feeds, whichever daemon read them,
// are one story.
func TestTwoDaemonsOneStory(t *testing.T) {
	t.Parallel()
	fr := serveFeed(t, append([]rssItem{opcwFR}, unrelated...))
	en := serveFeed(t, []rssItem{opcwEN})
	de := serveFeed(t, []rssItem{opcwDE})
	feeds := fmt.Sprintf("  - id: fr\n    url: %s/rss\n  - id: en\n    url: %s/rss\n  - id: de\n    url: %s/rss\n", fr.URL, en.URL, de.URL)
	begin := time.Now()
	one := start(t, testConfig(t, t.TempDir(), feeds))
	cfg := testConfig(t, t.TempDir(), feeds)
	cfg.NATS.URL = one.d.NATSURL()
	two := start(t, cfg)
	for _, f := range []string{"fr", "en", "de"} {
		one.waitFetched(t, f, begin)
	}
	ids := titles(t, two)
	items := storiesOf(t, two, broker.ItemsStream)
	event := items[ids[opcwFR.title]]
	for _, it := range []rssItem{opcwEN, opcwDE} {
		if s := items[ids[it.title]]; s == nil || s.ID != event.ID {
			t.Errorf("%q in story %v, want %s", it.title, s, event.ID)
		}
	}
	for _, it := range unrelated {
		if items[ids[it.title]].ID == event.ID {
			t.Errorf("%q is in the event's story", it.title)
		}
	}
}
