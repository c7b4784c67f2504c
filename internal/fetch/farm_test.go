package fetch_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// farm serves feeds feeds of farmItems items each, spread over hosts
// loopback addresses (127.0.x.y), with ETags, so that a second cycle is all
// 304s. Bodies are generated on request so that the farm's own memory stays
// small next to the fetcher's.
type farm struct {
	urls []string
	srv  *http.Server
	hits atomic.Int64
}

const farmItems = 20

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func startFarm(b *testing.B, feeds, hosts int) *farm {
	b.Helper()
	fm := &farm{}
	fm.srv = &http.Server{Handler: http.HandlerFunc(fm.serve), ReadHeaderTimeout: 10 * time.Second}
	addrs := make([]string, hosts)
	for h := range hosts {
		ip := fmt.Sprintf("127.0.%d.%d", (h+1)/250, (h+1)%250+1)
		l, err := net.Listen("tcp", ip+":0")
		if err != nil {
			b.Skipf("cannot listen on %s: %v", ip, err)
		}
		addrs[h] = l.Addr().String()
		go fm.srv.Serve(l)
	}
	b.Cleanup(func() { fm.srv.Close() })
	for i := range feeds {
		fm.urls = append(fm.urls, fmt.Sprintf("http://%s/feeds/%d.xml", addrs[i%hosts], i))
	}
	return fm
}

func (fm *farm) serve(w http.ResponseWriter, r *http.Request) {
	fm.hits.Add(1)
	id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feeds/"), ".xml")
	etag := `"farm-` + id + `-v1"`
	if r.Header.Get("If-None-Match") == etag {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"><channel><title>Farm feed " + id +
		"</title><link>http://" + r.Host + "/</link><language>en</language><ttl>15</ttl>\n")
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for j := range farmItems {
		fmt.Fprintf(&buf, `<item><guid isPermaLink="false">farm-%s-%d</guid><title>Feed %s, story %d: talks on norms of state behaviour in cyberspace</title>`+
			`<link>/stories/%s/%d?utm_source=rss&amp;id=%d</link><pubDate>%s</pubDate>`+
			`<description>&lt;p&gt;Delegates met again to discuss &lt;b&gt;confidence-building measures&lt;/b&gt;, capacity building and the application of international law. `+
			`Story %d of feed %s adds enough text to look like a real summary &amp;amp; to exercise the HTML-to-text path.&lt;/p&gt;</description></item>`+"\n",
			id, j, id, j, id, j, j, day.Add(time.Duration(j)*time.Hour).Format(time.RFC1123Z), j, id)
	}
	buf.WriteString("</channel></rss>\n")
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("ETag", etag)
	w.Write(buf.Bytes())
}

// cycle fetches every feed once with workers goroutines, parsing and
// normalizing what changed, and returns the number of items and of 304s.
func (fm *farm) cycle(b *testing.B, f *fetch.Fetcher, etags []string, workers int) (items, notModified int64) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	fetched := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(fm.urls) {
					return
				}
				id := "farm-" + strconv.Itoa(i)
				resp, err := f.Fetch(context.Background(), fetch.Request{FeedID: id, URL: fm.urls[i], ETag: etags[i]})
				if err != nil {
					if failed.Add(1) <= 5 {
						b.Errorf("fetch %s: %v", id, err)
					}
					continue
				}
				etags[i] = resp.ETag
				if resp.NotModified {
					atomic.AddInt64(&notModified, 1)
					continue
				}
				feed, err := parse.Parse(resp.Body, resp.ContentType, resp.FinalURL)
				if err != nil {
					b.Errorf("parse %s: %v", id, err)
					continue
				}
				atomic.AddInt64(&items, int64(len(normalize.Items(id, feed, resp.FinalURL, fetched))))
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d fetches failed", n)
	}
	return items, notModified
}

// resetPeakRSS makes the kernel restart the process's peak RSS count, so
// that each cycle reports its own peak. It reports false where unsupported.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// cpuSeconds is the user and system CPU time of the process so far: on a
// shared machine it says more than the wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSMiB reads VmHWM, the peak resident set size, from /proc.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkFarm runs fetch-parse-normalize cycles over a local farm of
// VIGIE_FARM_FEEDS feeds (default 10,000) of 20 items on VIGIE_FARM_HOSTS
// loopback hosts (default 1,000), with the default politeness (2 requests
// per host, 1s between requests to one host) and a global limit of
// VIGIE_FARM_CONCURRENT (default 64). "cold" is a first cycle (every feed
// new); "warm" repeats with the ETags of the previous cycle (every feed 304).
// See README.md for the command and the figures.
func BenchmarkFarm(b *testing.B) {
	feeds := envInt("VIGIE_FARM_FEEDS", 10000)
	hosts := envInt("VIGIE_FARM_HOSTS", 1000)
	concurrent := envInt("VIGIE_FARM_CONCURRENT", 64)
	fm := startFarm(b, feeds, hosts)
	newFetcher := func() *fetch.Fetcher {
		return fetch.New(fetch.Options{MaxConcurrent: concurrent, Timeout: time.Minute})
	}
	report := func(b *testing.B, items, notModified int64, start time.Time, cpu0 float64) {
		secs := time.Since(start).Seconds() / float64(b.N)
		b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/cycle")
		b.ReportMetric(secs, "s/cycle")
		b.ReportMetric(float64(feeds)/secs, "feeds/s")
		b.ReportMetric(float64(items)/float64(b.N), "items/cycle")
		b.ReportMetric(float64(notModified)/float64(b.N), "304s/cycle")
		b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
	}

	b.Run("cold", func(b *testing.B) {
		var items, nm int64
		debug.FreeOSMemory()
		resetPeakRSS()
		start, cpu0 := time.Now(), cpuSeconds()
		for range b.N {
			etags := make([]string, feeds)
			i, n := fm.cycle(b, newFetcher(), etags, concurrent)
			items, nm = items+i, nm+n
		}
		report(b, items, nm, start, cpu0)
		if items != int64(b.N*feeds*farmItems) {
			b.Errorf("%d items, want %d", items, b.N*feeds*farmItems)
		}
	})
	b.Run("warm", func(b *testing.B) {
		f := newFetcher()
		etags := make([]string, feeds)
		b.StopTimer()
		fm.cycle(b, f, etags, concurrent) // fills the ETags
		// Let the host gaps of the priming cycle pass.
		time.Sleep(fetch.DefaultHostGap)
		debug.FreeOSMemory()
		resetPeakRSS()
		b.StartTimer()
		var items, nm int64
		start, cpu0 := time.Now(), cpuSeconds()
		for range b.N {
			i, n := fm.cycle(b, f, etags, concurrent)
			items, nm = items+i, nm+n
		}
		report(b, items, nm, start, cpu0)
		if items != 0 || nm != int64(b.N*feeds) {
			b.Errorf("%d items and %d 304s, want 0 and %d", items, nm, b.N*feeds)
		}
	})
}
