package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
)

// cycleFarm serves feeds of two items each from loopback hosts, with an
// ETag: a feed asked again with it is answered 304.
type cycleFarm struct {
	urls        []string
	notModified atomic.Int64
	full        atomic.Int64
}

func newCycleFarm(b *testing.B, feeds, hosts int) *cycleFarm {
	b.Helper()
	fm := &cycleFarm{}
	published := time.Now().Add(-time.Hour).UTC().Format(time.RFC1123Z)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/feeds/")
		etag := `"bench-` + id + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			fm.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		n, _ := strconv.Atoi(id)
		var body strings.Builder
		body.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench ` + id + `</title>`)
		for j := range 2 {
			p := benchParagraphs[(2*n+j)%len(benchParagraphs)]
			fmt.Fprintf(&body, `<item><guid isPermaLink="false">bench-%s-%d</guid><title>Dépêche %d-%d</title><link>http://%s/a/%s/%d</link><pubDate>%s</pubDate><description>%s Affaire %d.</description></item>`,
				id, j, n, j, r.Host, id, j, published, p, 1000*n+j)
		}
		body.WriteString(`</channel></rss>`)
		fm.full.Add(1)
		_, _ = io.WriteString(w, body.String())
	})}
	b.Cleanup(func() { srv.Close() })
	addrs := make([]string, hosts)
	for h := range hosts {
		l, err := net.Listen("tcp", fmt.Sprintf("127.11.%d.%d:0", h/250, h%250+1))
		if err != nil {
			b.Skipf("cannot listen on a loopback address: %v", err)
		}
		addrs[h] = l.Addr().String()
		go func() { _ = srv.Serve(l) }()
	}
	for i := range feeds {
		fm.urls = append(fm.urls, fmt.Sprintf("http://%s/feeds/%d", addrs[i%hosts], i))
	}
	return fm
}

// waitAnswers waits until the farm has answered n 304s.
func (fm *cycleFarm) waitAnswers(b *testing.B, counter *atomic.Int64, n int64) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for counter.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d answers after 2 minutes, want %d", counter.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkCycle runs a daemon on 1,000 feeds of 10 loopback hosts: its
// start reads them all (2 new items each, detected, classified, grouped
// and published), then each iteration is a warm cycle, every feed's job
// enqueued at once and every answer a 304. The host gap is off, so that
// the figures are the daemon's cost; the process's CPU and allocations
// count the feeds' server too; ns/op is a warm cycle. test/scale measures
// the same at 10,000 feeds, in a process of its own, with the default
// politeness.
func BenchmarkCycle(b *testing.B) {
	const feeds, hosts = 1000, 10
	fm := newCycleFarm(b, feeds, hosts)
	var list strings.Builder
	for i, u := range fm.urls {
		fmt.Fprintf(&list, "  - id: bench-%04d\n    url: %s\n", i, u)
	}
	yaml := fmt.Sprintf("nats:\n  listen: 127.0.0.1:-1\ndata_dir: %s\nhttp:\n  listen: \"\"\nfetch:\n  host_gap: -1s\ndefaults:\n  schedule: \"0 0 1 1 *\"\n  fulltext: never\nfeeds:\n%s", b.TempDir(), list.String())
	cfg, err := config.Parse("feeds.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	d := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cpu0, start := cpuSeconds(), time.Now()
	go func() { done <- d.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-d.Ready():
	case err := <-done:
		b.Fatalf("daemon ended before ready: %v", err)
	}
	// The cold cycle: every feed read and its items published (the
	// fetches are counted once their items are).
	fm.waitAnswers(b, &fm.full, feeds)
	for counter(b, d, "vigie_items_new_total") < 2*feeds {
		time.Sleep(10 * time.Millisecond)
	}
	coldWall, coldCPU := time.Since(start).Seconds(), cpuSeconds()-cpu0

	jobs := make([]Job, 0, feeds)
	var wall, cpu, alloc float64
	answered := fm.notModified.Load()
	for b.Loop() {
		// A tick's jobs are named by feed and second, and a tick before a
		// feed's last fetch is served already: each cycle's tick is the
		// next second, waited for.
		b.StopTimer()
		tick := time.Now().Truncate(time.Second).Add(time.Second)
		time.Sleep(time.Until(tick))
		b.StartTimer()
		jobs = jobs[:0]
		for _, f := range cfg.Feeds {
			jobs = append(jobs, Job{Feed: f.ID, Scheduled: tick})
		}
		runtime.GC()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		cpu0, t0 := cpuSeconds(), time.Now()
		d.enqueueAll(ctx, jobs)
		answered += feeds
		fm.waitAnswers(b, &fm.notModified, answered)
		wall += time.Since(t0).Seconds()
		cpu += cpuSeconds() - cpu0
		runtime.ReadMemStats(&ms1)
		alloc += float64(ms1.TotalAlloc - ms0.TotalAlloc)
	}
	n := float64(b.N)
	b.ReportMetric(coldWall, "cold-s")
	b.ReportMetric(coldCPU/(2*feeds)*1e3, "cold-cpu-ms/item")
	b.ReportMetric(wall/n, "warm-s/cycle")
	b.ReportMetric(cpu/n/feeds*1e6, "warm-cpu-µs/feed")
	b.ReportMetric(alloc/n/feeds/1024, "warm-KiB-alloc/feed")
}
