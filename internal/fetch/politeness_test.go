package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPauseFollowsTheHostThatAsked: a feed redirects to another host, which
// answers 429 with a Retry-After. That host is paused, also through a
// redirect; the feed's own host is not.
func TestPauseFollowsTheHostThatAsked(t *testing.T) {
	t.Parallel()
	var targetHits, originHits atomic.Int32
	target := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/limited" {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		targetHits.Add(1)
		io.WriteString(w, "<rss/>")
	}))
	origin := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, target.URL+"/limited", http.StatusFound)
		case "/moved-too":
			http.Redirect(w, r, target.URL+"/ok", http.StatusFound)
		default:
			originHits.Add(1)
			io.WriteString(w, "<rss/>")
		}
	}))
	f := newFetcher(Options{})
	ctx := context.Background()
	var se *StatusError
	if _, err := f.Fetch(ctx, Request{FeedID: "a", URL: origin.URL + "/moved"}); !errors.As(err, &se) || se.Status != http.StatusTooManyRequests {
		t.Fatalf("first fetch: %v, want a 429", err)
	}
	if _, err := f.Fetch(ctx, Request{FeedID: "b", URL: origin.URL + "/ok"}); err != nil || originHits.Load() != 1 {
		t.Errorf("the host that did not ask to wait: %v, %d requests", err, originHits.Load())
	}
	for _, u := range []string{target.URL + "/ok", origin.URL + "/moved-too"} {
		if _, err := f.Fetch(ctx, Request{FeedID: "c", URL: u}); !errors.As(err, &se) || !se.Deferred {
			t.Errorf("%s: %v, want a deferred error", u, err)
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the host that asked to wait got %d requests", n)
	}
}

// TestPauseStopsWaitingCallers: callers already waiting for the host's slot
// or gap when it answers 429 send nothing.
func TestPauseStopsWaitingCallers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"waiting for the slot", Options{PerHost: 1, HostGap: -1}},
		{"waiting for the gap", Options{PerHost: 2, HostGap: 300 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var okHits atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/limited" {
					<-release
					w.Header().Set("Retry-After", "120")
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				okHits.Add(1)
				io.WriteString(w, "<rss/>")
			}))
			defer srv.Close()
			f := newFetcher(tc.o)
			first := make(chan error, 1)
			go func() {
				_, err := f.Fetch(context.Background(), Request{FeedID: "a", URL: srv.URL + "/limited"})
				first <- err
			}()
			for len(f.global) == 0 { // the first request is out
				time.Sleep(time.Millisecond)
			}
			second := make(chan error, 1)
			go func() {
				_, err := f.Fetch(context.Background(), Request{FeedID: "b", URL: srv.URL + "/ok"})
				second <- err
			}()
			time.Sleep(50 * time.Millisecond) // b waits for the slot or the gap
			close(release)
			<-first
			var se *StatusError
			if err := <-second; !errors.As(err, &se) || !se.Deferred || okHits.Load() != 0 {
				t.Errorf("second: %v with %d requests sent, want deferred and none", err, okHits.Load())
			}
		})
	}
}

// TestNotModifiedWithoutValidators: a 304 to a request that named no
// version is a broken cache, not a feed that did not change.
func TestNotModifiedWithoutValidators(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	var se *StatusError
	if _, err := newFetcher(Options{}).Fetch(context.Background(), Request{FeedID: "a", URL: srv.URL}); !errors.As(err, &se) || se.Status != http.StatusNotModified {
		t.Errorf("got %v, want a 304 StatusError", err)
	}
}

// TestFeedHeadersStayWithTheFeedsHost: a feed's own headers (credentials)
// are not sent to another host a redirect leads to.
func TestFeedHeadersStayWithTheFeedsHost(t *testing.T) {
	t.Parallel()
	var got atomic.Pointer[http.Header]
	target := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Clone()
		got.Store(&h)
		io.WriteString(w, "<rss/>")
	}))
	origin := serverOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "secret" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, target.URL+"/feed", http.StatusFound)
	}))
	headers := map[string]string{"Authorization": "Bearer t", "X-Api-Key": "secret", "Private-Token": "secret", "User-Agent": "FeedOwnersAgent"}
	if _, err := newFetcher(Options{}).Fetch(context.Background(), Request{URL: origin.URL, Headers: headers}); err != nil {
		t.Fatal(err)
	}
	h := got.Load()
	if h == nil {
		t.Fatal("the redirect was not followed")
	}
	for k := range headers {
		if v := h.Get(k); v == headers[k] {
			t.Errorf("%s: %q sent to the other host", k, v)
		}
	}
	if ua := h.Get("User-Agent"); !strings.Contains(ua, "Vigie") {
		t.Errorf("User-Agent %q after the redirect, want Vigie's", ua)
	}
}
