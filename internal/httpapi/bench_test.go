package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/status"
)

// BenchmarkStatusPage measures the answers of the page and its API with
// 1,000 feeds and 100 alerts in NATS, the status reader following the
// feed states as the daemon's does, over a loopback connection. The
// figure to watch is ms/op (the issue asks for under 200 ms).
//
//	go test ./internal/httpapi -run '^$' -bench StatusPage -benchtime 50x
func BenchmarkStatusPage(b *testing.B) {
	br := openBroker(b)
	now := time.Now()
	cfg := manyFeeds(b, br, 1000, now)
	publishAlerts(b, br, 100)
	r := status.NewReader(br.JS, status.Options{Config: func() *config.Config { return cfg }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Watch(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	base := "http://" + startPage(b, r, "", nil).Addr()
	waitLive(b, r)

	// As a browser asks: gzip accepted. The size reported is what travels.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, path := range []string{"/", "/api/feeds", "/api/alerts?limit=50", "/api/activity"} {
		b.Run(path, func(b *testing.B) {
			size := 0
			start := time.Now()
			for b.Loop() {
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
				size = int(n)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(float64(size)/1024, "KiB-sent/response")
		})
	}
}

// waitLive waits until Watch has read every feed state once, so that the
// benchmark measures the daemon's steady state, not one-shot reads.
func waitLive(b *testing.B, r *status.Reader) {
	deadline := time.Now().Add(30 * time.Second)
	for !r.Live() {
		if time.Now().After(deadline) {
			b.Fatal("the reader never followed the feed states")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
