package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
)

// proxied records the requests the test proxy received.
var proxied struct {
	sync.Mutex
	urls []string
}

// TestMain starts a forward proxy and names it in HTTP_PROXY before any
// request reads the environment (net/http reads it once). Loopback
// addresses are never proxied, so the other tests reach their servers
// directly. The two tests of the proxy count what it received: they are
// the package's only tests not marked parallel, so that they run alone,
// before the others.
func TestMain(m *testing.M) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Lock()
		proxied.urls = append(proxied.urls, r.URL.String())
		proxied.Unlock()
		io.WriteString(w, "<rss/>")
	}))
	os.Setenv("HTTP_PROXY", proxy.URL)
	os.Unsetenv("http_proxy")
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	code := m.Run()
	proxy.Close()
	os.Exit(code)
}

func TestProxyFromEnvironment(t *testing.T) {
	const feed = "http://feeds.example.invalid/rss?x=1"
	proxied.Lock()
	before := len(proxied.urls) // not 0 when the tests run again (-count)
	proxied.Unlock()
	resp, err := newFetcher(Options{}).Fetch(context.Background(), Request{URL: feed})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "<rss/>" {
		t.Errorf("body %q", resp.Body)
	}
	proxied.Lock()
	defer proxied.Unlock()
	if got := proxied.urls[before:]; len(got) != 1 || got[0] != feed {
		t.Errorf("proxy saw %q, want one request for %s", got, feed)
	}
}

// TestPublicOnlyThroughProxy checks that through a proxy, which the guard
// cannot see past, the target is checked before the request: a private
// target is refused without reaching the proxy, a public one goes through
// the proxy (itself on loopback).
func TestPublicOnlyThroughProxy(t *testing.T) {
	f := newFetcher(Options{})
	proxied.Lock()
	before := len(proxied.urls)
	proxied.Unlock()
	_, err := f.Fetch(context.Background(), Request{URL: "http://10.1.2.3/secret", Page: true, PublicOnly: true})
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("private target through the proxy: %v", err)
	}
	const public = "http://93.184.215.14/article"
	if _, err := f.Fetch(context.Background(), Request{URL: public, Page: true, PublicOnly: true}); err != nil {
		t.Fatalf("public target through the proxy: %v", err)
	}
	proxied.Lock()
	defer proxied.Unlock()
	if got := proxied.urls[before:]; len(got) != 1 || got[0] != public {
		t.Errorf("proxy saw %q, want only %s", got, public)
	}
}
