package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/feedfarm"
)

// waitAnswers waits until a farm's counter of answers reaches n.
func waitAnswers(b *testing.B, counter *atomic.Int64, n int64) {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for counter.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d answers after 2 minutes, want %d", counter.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// benchItem is the k-th item of the farm: a paragraph of news and a
// number of its own.
func benchItem(k int) (title, text string) {
	n, j := k/2, k%2
	return fmt.Sprintf("Dépêche %d-%d", n, j), fmt.Sprintf("%s Affaire %d.", benchParagraphs[k%len(benchParagraphs)], 1000*n+j)
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
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: feeds, Hosts: hosts, Items: 2, Item: benchItem})
	if err != nil {
		b.Skipf("cannot serve the feeds: %v", err)
	}
	b.Cleanup(fm.Close)
	var list strings.Builder
	for i, u := range fm.URLs {
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
	waitAnswers(b, &fm.Full, feeds)
	for counter(b, d, "vigie_items_new_total") < 2*feeds {
		time.Sleep(10 * time.Millisecond)
	}
	coldWall, coldCPU := time.Since(start).Seconds(), cpuSeconds()-cpu0

	jobs := make([]Job, 0, feeds)
	var wall, cpu, alloc float64
	answered := fm.NotModified.Load()
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
		waitAnswers(b, &fm.NotModified, answered)
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
