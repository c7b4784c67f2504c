package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/httpapi"
	"github.com/vigie-news/vigie/internal/metrics"
	"github.com/vigie-news/vigie/internal/status"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/story/natsstore"
)

// putStories stores n stories, story i with i+1 reports in two languages,
// the latest last.
func putStories(t *testing.T, st *natsstore.Store, n int) {
	t.Helper()
	at := uint64(0)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := range n {
		first := day.Add(time.Duration(i) * time.Hour)
		for r := range i + 1 {
			rec := story.Record{Story: fmt.Sprintf("story-%d", i), First: first, Member: story.Member{ID: fmt.Sprintf("s%d-r%d", i, r), Feed: fmt.Sprintf("feed-%d", r),
				Lang: []string{"fr", "ja"}[r%2], Title: fmt.Sprintf("Report %d of story %d", r, i), URL: "https://news.example/",
				Time: first.Add(time.Duration(r) * 30 * time.Minute / time.Duration(i+1)), Features: []string{"S:FR"}}}
			var err error
			if at, err = st.Put(context.Background(), rec, at); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestStoriesAPI(t *testing.T) {
	t.Parallel()
	b := openBroker(t)
	st, err := natsstore.Open(context.Background(), b.JS, natsstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	putStories(t, st, 5)
	s := httpapi.New("127.0.0.1:0", metrics.New(), nil, nil)
	s.ServeStatus(status.NewReader(b.JS, status.Options{Config: func() *config.Config { return manyFeeds(t, b, 1, time.Now()) }}), "a-token-of-16-chars-or-more")
	s.ServeStories(natsstore.Lister{JS: b.JS})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	base := "http://" + s.Addr()

	type doc struct {
		Limit, MinItems int
		Stories         []story.View
	}
	tests := []struct {
		name, path, token string
		code              int
		ids               []string
	}{
		{"every story, the latest first", "/api/stories", "a-token-of-16-chars-or-more", 200, []string{"story-4", "story-3", "story-2", "story-1", "story-0"}},
		{"limit", "/api/stories?limit=2", "a-token-of-16-chars-or-more", 200, []string{"story-4", "story-3"}},
		{"reported at least three times", "/api/stories?min_items=3", "a-token-of-16-chars-or-more", 200, []string{"story-4", "story-3", "story-2"}},
		{"bad limit", "/api/stories?limit=many", "a-token-of-16-chars-or-more", 400, nil},
		{"bad min_items", "/api/stories?min_items=0", "a-token-of-16-chars-or-more", 400, nil},
		{"without the token", "/api/stories", "", 401, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(t, "GET", base+tt.path, tt.token)
			if r.code != tt.code {
				t.Fatalf("%s: %d %s", tt.path, r.code, r.body)
			}
			if tt.code != 200 {
				return
			}
			var d doc
			if err := json.Unmarshal([]byte(r.body), &d); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, v := range d.Stories {
				ids = append(ids, v.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.ids) {
				t.Errorf("stories %v, want %v", ids, tt.ids)
			}
			if v := d.Stories[0]; v.Items != 5 || fmt.Sprint(v.Languages) != "[fr ja]" || len(v.Feeds) != 5 || len(v.Reports) != 5 || v.Reports[0].Title != "Report 0 of story 4" {
				t.Errorf("story-4 shown as %+v", v)
			}
			if r.head.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", r.head.Get("Cache-Control"))
			}
		})
	}
}
