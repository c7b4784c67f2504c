package daemon

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/broker"
)

// TestLanguagePriors serves one ambiguous item ("banco central" is Spanish
// and Portuguese) from feeds that differ only in their configured language
// or in the language their document declares, and checks that the published
// item follows each, with a confidence; and that a token in a feed's URL
// stays out of the payloads.
func TestLanguagePriors(t *testing.T) {
	t.Parallel()
	item := []rssItem{{"bc-1", "banco central", ""}}
	doc := func(declared string) string {
		return strings.Replace(rssDocument(item), "<language>fr</language>", "<language>"+declared+"</language>", 1)
	}
	docs := map[string]string{"/none": doc(""), "/pt": doc("pt-BR"), "/es": doc("es-ES")}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, docs[r.URL.Path])
	}))
	defer srv.Close()
	want := map[string]string{"hint-pt": "pt", "hint-es": "es", "declared-pt": "pt", "declared-es": "es"}
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf(
		"  - id: hint-pt\n    url: %[1]s/none?token=S3CRET\n    language: pt\n"+
			"  - id: hint-es\n    url: %[1]s/none\n    language: es\n"+
			"  - id: declared-pt\n    url: %[1]s/pt\n"+
			"  - id: declared-es\n    url: %[1]s/es\n", srv.URL))
	begin := time.Now()
	r := start(t, cfg)
	for feed := range want {
		r.waitFetched(t, feed, begin)
	}
	got := map[string]vigie.Item{}
	for _, m := range r.storedMsgs(t, broker.ItemsStream) {
		var it vigie.Item
		if err := json.Unmarshal(m.Data, &it); err != nil {
			t.Fatal(err)
		}
		if wantSubject := "news.item." + it.Lang + "." + it.Feed.ID; m.Subject != wantSubject {
			t.Errorf("item on %s, want %s", m.Subject, wantSubject)
		}
		if strings.Contains(string(m.Data), "S3CRET") {
			t.Errorf("a feed URL's token reached a payload: %s", m.Data)
		}
		got[it.Feed.ID] = it
	}
	for feed, lang := range want {
		it, ok := got[feed]
		switch {
		case !ok:
			t.Errorf("%s: no item published", feed)
		case it.Lang != lang || it.LangConfidence <= 0 || it.LangConfidence > 1:
			t.Errorf("%s: lang %s, confidence %v; want %s with a confidence in (0,1]", feed, it.Lang, it.LangConfidence, lang)
		}
	}
}
