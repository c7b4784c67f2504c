package fetch

import (
	"context"
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
// directly.
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
	resp, err := newFetcher(Options{}).Fetch(context.Background(), Request{URL: feed})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "<rss/>" {
		t.Errorf("body %q", resp.Body)
	}
	proxied.Lock()
	defer proxied.Unlock()
	if len(proxied.urls) != 1 || proxied.urls[0] != feed {
		t.Errorf("proxy saw %q, want one request for %s", proxied.urls, feed)
	}
}
