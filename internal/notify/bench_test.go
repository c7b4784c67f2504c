package notify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

// arrivals is a webhook receiver that notes when each alert arrives.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	want int
	done chan struct{}
}

func newArrivals(b *testing.B, want int) (*arrivals, string) {
	a := &arrivals{at: make(map[string]time.Time, want), want: want, done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		id := r.Header.Get("webhook-id")
		a.mu.Lock()
		if _, dup := a.at[id]; !dup {
			a.at[id] = now
			if len(a.at) == a.want {
				close(a.done)
			}
		}
		a.mu.Unlock()
	}))
	b.Cleanup(srv.Close)
	return a, srv.URL
}

func (a *arrivals) wait(b *testing.B) {
	select {
	case <-a.done:
	case <-time.After(5 * time.Minute):
		b.Fatal("not every alert arrived")
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1))]
}

// reportDelays reports the median and 99th percentile delay from publishing
// an alert to its arrival at the receiver.
func reportDelays(b *testing.B, published map[string]time.Time, a *arrivals) {
	delays := make([]time.Duration, 0, len(published))
	a.mu.Lock()
	for id, t := range published {
		delays = append(delays, a.at[id].Sub(t))
	}
	a.mu.Unlock()
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	b.ReportMetric(float64(percentile(delays, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(delays, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkWebhookThroughput publishes b.N alerts at once and measures how
// fast one signed webhook route delivers them to a local receiver.
func BenchmarkWebhookThroughput(b *testing.B) {
	br := openBroker(b, b.TempDir())
	defer closeBroker(b, br)
	arr, url := newArrivals(b, b.N)
	route := config.Route{Name: "bench", Type: "webhook", URL: url, Secret: testSecret}
	svc := start(b, br.JS, []config.Route{route}, notify.Options{})
	published := make(map[string]time.Time, b.N)
	b.ResetTimer()
	begin := time.Now()
	for i := range b.N {
		a := newAlert(fmt.Sprintf("t%08d", i), "fr", "vna-fr", 5, "norms")
		published[a.ID+"."+a.Classifier] = time.Now()
		publish(b, br, a)
	}
	arr.wait(b)
	elapsed := time.Since(begin)
	b.StopTimer()
	svc.stop(b)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	reportDelays(b, published, arr)
}

// BenchmarkWebhookLatency publishes one alert at a time and waits for it:
// the delay from publishing to the receiver with no queue in front.
func BenchmarkWebhookLatency(b *testing.B) {
	br := openBroker(b, b.TempDir())
	defer closeBroker(b, br)
	arr, url := newArrivals(b, b.N)
	route := config.Route{Name: "bench", Type: "webhook", URL: url, Secret: testSecret}
	svc := start(b, br.JS, []config.Route{route}, notify.Options{})
	published := make(map[string]time.Time, b.N)
	b.ResetTimer()
	for i := range b.N {
		a := newAlert(fmt.Sprintf("l%08d", i), "fr", "vna-fr", 5, "norms")
		id := a.ID + "." + a.Classifier
		published[id] = time.Now()
		publish(b, br, a)
		for {
			arr.mu.Lock()
			_, ok := arr.at[id]
			arr.mu.Unlock()
			if ok {
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
	b.StopTimer()
	svc.stop(b)
	reportDelays(b, published, arr)
}
