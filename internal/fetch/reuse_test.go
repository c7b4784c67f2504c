package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestConnectionReuseAcrossHosts fetches the feeds of 300 hosts in turns,
// twice, as a cycle over a feed list does: the second turn reuses each
// host's connection rather than dialing again, though far more hosts than
// MaxConcurrent were fetched in between.
func TestConnectionReuseAcrossHosts(t *testing.T) {
	t.Parallel()
	const hosts = 300
	var dialed atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			_, _ = w.Write([]byte("<rss/>"))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				dialed.Add(1)
			}
		},
	}
	defer srv.Close()
	var urls []string
	for h := range hosts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.%d.%d:0", 20+h/250, h%250+1))
		if err != nil {
			t.Skipf("cannot listen on a loopback address: %v", err)
		}
		go func() { _ = srv.Serve(l) }()
		urls = append(urls, "http://"+l.Addr().String()+"/feed")
	}
	f := newFetcher(Options{MaxConcurrent: 8})
	defer f.CloseIdleConnections()
	for turn := range 2 {
		for _, u := range urls {
			if _, err := f.Fetch(context.Background(), Request{FeedID: "f", URL: u}); err != nil {
				t.Fatalf("turn %d, %s: %v", turn, u, err)
			}
		}
	}
	if n := dialed.Load(); n != hosts {
		t.Errorf("%d connections for %d hosts fetched twice, want %d: the second turn dialed again", n, hosts, hosts)
	}
}
