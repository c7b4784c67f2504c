package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIsPublicAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		public bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700::6810:85e5", true},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false}, // cloud metadata
		{"fe80::1", false},
		{"fd00::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"198.18.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::a00:1", false},  // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:7f00:1::", false},   // 6to4 of 127.0.0.1
		{"2002:808:808::", true},   // 6to4 of 8.8.8.8
	}
	for _, tt := range tests {
		if got := IsPublicAddr(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("IsPublicAddr(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

// counting is a handler that counts its requests and answers with a page.
type counting struct{ n atomic.Int32 }

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte("<p>page</p>"))
}

// TestPublicOnly checks that a PublicOnly request never reaches a private
// address, named directly, through a name, or through a redirect; a
// loopback address other than 127.0.0.1 stands for the internet.
func TestPublicOnly(t *testing.T) {
	t.Parallel()
	var private counting
	priv := serverOn(t, "127.0.0.1", &private)
	var public counting
	pub := serverOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/to-private" {
			http.Redirect(w, r, priv.URL+"/secret", http.StatusFound)
			return
		}
		public.ServeHTTP(w, r)
	}))
	f := newFetcher(Options{PublicAddr: func(a netip.Addr) bool {
		return a == netip.MustParseAddr("127.0.0.2") || IsPublicAddr(a)
	}})
	ctx := context.Background()
	port := priv.URL[strings.LastIndexByte(priv.URL, ':'):]

	// Without PublicOnly, the private server answers, and its
	// connection stays open for reuse.
	if _, err := f.Fetch(ctx, Request{URL: priv.URL + "/feed"}); err != nil {
		t.Fatalf("plain request: %v", err)
	}
	for _, tt := range []struct{ name, url string }{
		{"private address", priv.URL + "/secret"},
		{"name of a private address", "http://localhost" + port + "/secret"},
		{"redirect to a private address", pub.URL + "/to-private"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := private.n.Load()
			_, err := f.Fetch(ctx, Request{URL: tt.url, Page: true, PublicOnly: true})
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("err = %v, want ErrForbiddenAddress", err)
			}
			if !strings.Contains(err.Error(), "not a public address") {
				t.Errorf("error %q does not say why", err)
			}
			if n := private.n.Load() - before; n != 0 {
				t.Errorf("the private server got %d requests", n)
			}
		})
	}
	resp, err := f.Fetch(ctx, Request{URL: pub.URL + "/article", Page: true, PublicOnly: true})
	if err != nil || string(resp.Body) != "<p>page</p>" {
		t.Fatalf("public page: %v", err)
	}
}

func TestPageRequest(t *testing.T) {
	t.Parallel()
	var accept atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		w.Write(make([]byte, 2000))
	}))
	defer srv.Close()
	f := newFetcher(Options{})
	if _, err := f.Fetch(context.Background(), Request{URL: srv.URL, Page: true}); err != nil {
		t.Fatal(err)
	}
	if a, _ := accept.Load().(string); !strings.HasPrefix(a, "text/html") {
		t.Errorf("Accept %q for a page", a)
	}
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL, Page: true, MaxBodyBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("2000 bytes with MaxBodyBytes 1000: %v", err)
	}
	// A request's limit only lowers the fetcher's.
	small := newFetcher(Options{MaxBodyBytes: 1000})
	if _, err := small.Fetch(context.Background(), Request{URL: srv.URL, MaxBodyBytes: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a request raised the fetcher's limit: %v", err)
	}
}
