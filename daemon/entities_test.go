package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/feedtest"
	"github.com/vigie-news/vigie/internal/replay"
)

// deskEntities is an extra entity file: a body that only it defines.
const deskEntities = feedtest.DeskEntities

// bodiesRules is a classifier that needs a body in the item (see
// feedtest.BodiesRules).
const bodiesRules = feedtest.BodiesRules

// deskItem names the desk's body and three states.
var deskItem = rssItem{"desk-1", "Nouvelle réunion de l'Organisation Vigie de test",
	"Le Vietnam et le Japon y présentent leur position, avec la France."}

var deskWant = vigie.Entities{States: []string{"FR", "JP", "VN"}, Orgs: []string{"VGXT"}}

// entityConfig writes the desk's entity and rule files beside feeds.yaml
// and returns a configuration that uses them with a feed at url.
func entityConfig(t *testing.T, dir, url string) *config.Config {
	t.Helper()
	for name, content := range map[string]string{"desk.yaml": deskEntities, "bodies.yaml": bodiesRules} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The file is written, not only parsed, so that the daemon can reload it.
	path := filepath.Join(dir, "feeds.yaml")
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\nclassifiers: [cyber-diplomacy, bodies.yaml]\nentities: [desk.yaml]\nfeeds:\n  - id: desk\n    url: %s/rss\n    language: fr\n", dir, url)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// payloadEntities decodes the entities of a payload, failing the test when
// the field or one of its lists is missing (null is not a list).
func payloadEntities(t *testing.T, data []byte) vigie.Entities {
	t.Helper()
	var p struct {
		Entities *struct {
			States *[]string `json:"states"`
			Orgs   *[]string `json:"orgs"`
		} `json:"entities"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.Entities == nil || p.Entities.States == nil || p.Entities.Orgs == nil {
		t.Fatalf("payload without entities {states, orgs}: %s", data)
	}
	return vigie.Entities{States: *p.Entities.States, Orgs: *p.Entities.Orgs}
}

func sameEntities(a, b vigie.Entities) bool {
	return slices.Equal(a.States, b.States) && slices.Equal(a.Orgs, b.Orgs)
}

// TestEntities runs the daemon with an extra entity file and a classifier
// that needs a body: every item and alert carries its entities, found with
// the built-in and the extra files; the classifier gets those mentions; a
// reload takes a changed entity file and refuses a broken one; and a replay
// finds the same entities.
func TestEntities(t *testing.T) {
	t.Parallel()
	srv := serveFeed(t, append(append([]rssItem{deskItem}, ownItems...), unrelated...))
	dir := t.TempDir()
	cfg := entityConfig(t, dir, srv.URL)

	begin := time.Now()
	r := start(t, cfg)
	r.waitFetched(t, "desk", begin)

	items := map[string]vigie.Entities{} // by item id
	deskID := ""
	for _, m := range r.storedMsgs(t, broker.ItemsStream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		items[it.ID] = payloadEntities(t, m.Data)
		if it.Title == deskItem.title {
			deskID = it.ID
			if !sameEntities(items[it.ID], deskWant) {
				t.Errorf("item %q has entities %+v, want %+v", it.Title, items[it.ID], deskWant)
			}
		}
	}
	if len(items) != 1+len(ownItems)+len(unrelated) || deskID == "" {
		t.Fatalf("%d items published (desk item %q), want %d", len(items), deskID, 1+len(ownItems)+len(unrelated))
	}
	raised := map[string]bool{}
	for _, m := range r.storedMsgs(t, broker.AlertsStream) {
		var a vigie.Alert
		if err := json.Unmarshal(m.Data, &a); err != nil {
			t.Fatal(err)
		}
		if e := payloadEntities(t, m.Data); !sameEntities(e, items[a.ID]) {
			t.Errorf("alert %s of %q has entities %+v, its item %+v", a.Classifier, a.Title, e, items[a.ID])
		}
		raised[a.ID+"."+a.Classifier] = true
	}
	if !raised[deskID+".bodies"] {
		t.Errorf("no bodies alert on the desk item (alerts %v): the classifier did not get the configured entities", raised)
	}
	if n := len(raised); n != 1+len(ownItems) {
		t.Errorf("%d alerts %v, want the desk item's and the %d cyber-diplomacy items'", n, raised, len(ownItems))
	}

	// A changed entity file is taken on reload; a broken one is refused and
	// the set in force stays.
	finds := func(text string) bool {
		found := r.d.pipe.Load().Entities.Find(text, "")
		return slices.Contains(found.Entities().Orgs, "VGXT")
	}
	desk := filepath.Join(dir, "desk.yaml")
	writeDesk := func(content string) {
		t.Helper()
		if err := os.WriteFile(desk, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeDesk(deskEntities + "    en: [Joint Watch Office]\n")
	if err := r.d.Reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !finds("The Joint Watch Office meets") {
		t.Error("after a reload, the set does not know the name added to the entity file")
	}
	writeDesk("states:\n  - key: XY\n    en: [Nowhere]\n")
	if err := r.d.Reload(); err == nil || !strings.Contains(err.Error(), desk+":2: state key \"XY\"") {
		t.Errorf("reload with a broken entity file: %v, want its problem with file and line", err)
	}
	if !finds("The Joint Watch Office meets") {
		t.Error("a refused reload changed the entity set in force")
	}
	r.shutdown(t)

	// A replay finds the entities again, with the configured files.
	writeDesk(deskEntities)
	var out strings.Builder
	rep, err := replay.Run(context.Background(), cfg, replay.Options{JSON: true, Logger: slog.New(slog.DiscardHandler)}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Alerts != len(raised) || rep.New != 0 || rep.Dropped != 0 {
		t.Errorf("replay %+v, want the %d alerts already published\n%s", rep, len(raised), out.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a vigie.Alert
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatal(err)
		}
		if a.ID == deskID && !sameEntities(payloadEntities(t, []byte(l)), deskWant) {
			t.Errorf("replayed alert %s", l)
		}
	}
}
