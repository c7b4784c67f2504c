package fetch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
	"github.com/vigie-news/vigie/internal/schedule"
)

// Example shows one feed going through the three stages twice, the way the
// daemon drives them: the validators of the first response make the second
// request conditional, and the next fetch waits for the longest of what the
// server asked for and what the feed asked for, as the schedule policy reads
// them.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=300")
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, `<rss version="2.0"><channel><title>Lookout</title><link>/</link><ttl>20</ttl>
<item><guid>n1</guid><title>OEWG &amp; norms</title><link>/n/1?utm_source=rss</link>
<description>&lt;p&gt;States &lt;b&gt;agreed&lt;/b&gt;.&lt;/p&gt;</description></item></channel></rss>`)
	}))
	defer srv.Close()

	f := fetch.New(fetch.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	req := fetch.Request{FeedID: "lookout", URL: srv.URL + "/rss"}
	fetched := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

	resp, err := f.Fetch(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	feed, err := parse.Parse(resp.Body, resp.ContentType, resp.FinalURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range normalize.Items(req.FeedID, feed, resp.FinalURL, fetched) {
		fmt.Printf("%s | %s | %s\n", it.Title, it.Summary, it.URL[len(srv.URL):])
	}
	st := schedule.Policy{}.Next(schedule.State{}, schedule.Outcome{
		Time: fetched, Status: resp.Status, Header: resp.Header,
		Document: &schedule.Document{Interval: feed.Interval},
	})
	fmt.Println("next fetch in", st.NextFetch.Sub(fetched))

	req.ETag, req.LastModified = resp.ETag, resp.LastModified
	resp, err = f.Fetch(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("second fetch not modified:", resp.NotModified)
	// Output:
	// OEWG & norms | States agreed. | /n/1
	// next fetch in 20m0s
	// second fetch not modified: true
}
