package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestItemTooLargeIsPassedOver runs against a server that takes messages of
// 4 KiB at most, with a feed whose middle item has a 6 KB link: that item
// is passed over, the items around it are published, and the feed's fetch
// completes instead of being requeued for ever.
func TestItemTooLargeIsPassedOver(t *testing.T) {
	t.Parallel()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true, MaxPayload: 4096})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	// A cleanup, so that it runs after the daemon's: a daemon whose
	// server went first would wait for it until its shutdown deadline.
	t.Cleanup(s.Shutdown)

	items := append([]rssItem{}, unrelated...)
	items[1].guid = "long-" + strings.Repeat("x", 6000)
	feed := serveFeed(t, items)
	cfg := testConfig(t, t.TempDir(), fmt.Sprintf("  - id: big\n    url: %s/rss\n    language: fr\n", feed.URL))
	cfg.NATS.URL = s.ClientURL()

	begin := time.Now()
	r := start(t, cfg)
	st := r.waitFetched(t, "big", begin)
	if st.Failures != 0 || st.LastSuccess.IsZero() {
		t.Errorf("feed state %+v, want a success", st)
	}
	got := itemTitles(t, r)
	if strings.Join(got, "|") != items[0].title+"|"+items[2].title {
		t.Errorf("published %q, want the first and last items", got)
	}
}
