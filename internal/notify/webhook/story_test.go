package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/notify/webhook"
)

// A digest of a route that notifies per story says how many stories its
// alerts report.
func TestDigestCountsStories(t *testing.T) {
	var got struct {
		Count   int `json:"count"`
		Stories int `json:"stories"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	w, err := webhook.New(srv.URL, "", nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := &vigie.Story{ID: "s1"}, &vigie.Story{ID: "s2"}
	alerts := []*vigie.Alert{{Item: vigie.Item{ID: "a", Story: s1}}, {Item: vigie.Item{ID: "b", Story: s2}}, {Item: vigie.Item{ID: "c", Story: s1}}, {Item: vigie.Item{ID: "d"}}}
	if _, err := w.NotifyDigest(context.Background(), &receiver.Digest{ID: "d1", Alerts: alerts, PerStory: true}); err != nil {
		t.Fatal(err)
	}
	if got.Count != 4 || got.Stories != 3 {
		t.Errorf("count %d, stories %d; want 4 alerts in 3 stories (one alert without a story)", got.Count, got.Stories)
	}
}
