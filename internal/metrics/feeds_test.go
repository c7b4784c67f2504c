package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// The per-feed series export exactly what a CounterVec, GaugeVec and
// HistogramVec with a feed label would after the same calls: names, help,
// types, labels, values, the series that exist and those that do not.
func TestFeedSeriesMatchVecs(t *testing.T) {
	m := newAt(t0)
	ref := prometheus.NewRegistry()
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		ref.MustRegister(v)
		return v
	}
	gauge := func(name, help string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, []string{"feed"})
		ref.MustRegister(v)
		return v
	}
	_, fams := newFeedSeries()
	help := map[string]string{}
	for _, f := range fams {
		help[f.name] = helpOf(t, f.desc)
	}
	h := func(n string) string { return help[Namespace+"_"+n] }
	fetches := vec("fetches_total", h("fetches_total"), "feed", "result")
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "fetch_duration_seconds",
		Help: h("fetch_duration_seconds"), Buckets: fetchBuckets[:]}, []string{"feed"})
	ref.MustRegister(duration)
	fetchBytes := vec("fetch_bytes_total", h("fetch_bytes_total"), "feed")
	itemsNew := vec("items_new_total", h("items_new_total"), "feed")
	itemsSeen := vec("items_seen_total", h("items_seen_total"), "feed")
	tooOld := vec("items_too_old_total", h("items_too_old_total"), "feed")
	misses := vec("listing_selector_misses_total", h("listing_selector_misses_total"), "feed", "selector")
	failures := gauge("feed_consecutive_failures", h("feed_consecutive_failures"))
	success := gauge("feed_last_success_timestamp_seconds", h("feed_last_success_timestamp_seconds"))
	newItem := gauge("feed_last_new_item_timestamp_seconds", h("feed_last_new_item_timestamp_seconds"))
	next := gauge("feed_next_fetch_timestamp_seconds", h("feed_next_fetch_timestamp_seconds"))

	now := float64(t0.Unix())
	// a: added, fetched twice (one 5xx), new items, seen items.
	m.AddFeed("a")
	fetches.WithLabelValues("a", "ok")
	fetchBytes.WithLabelValues("a")
	itemsNew.WithLabelValues("a")
	itemsSeen.WithLabelValues("a")
	tooOld.WithLabelValues("a")
	failures.WithLabelValues("a")
	m.FetchDone("a", ResultOK, 300*time.Millisecond, 1000)
	fetches.WithLabelValues("a", "ok").Inc()
	duration.WithLabelValues("a").Observe(.3)
	fetchBytes.WithLabelValues("a").Add(1000)
	success.WithLabelValues("a").Set(now)
	m.FetchDone("a", ResultHTTP5xx, 61*time.Second, 0)
	fetches.WithLabelValues("a", "http_5xx").Inc()
	duration.WithLabelValues("a").Observe(61)
	m.ItemsNew("a", 2)
	itemsNew.WithLabelValues("a").Add(2)
	newItem.WithLabelValues("a").Set(now)
	m.ItemsSeen("a", 3)
	itemsSeen.WithLabelValues("a").Add(3)
	m.FeedFailures("a", 1)
	failures.WithLabelValues("a").Set(1)
	m.FeedNextFetch("a", t0.Add(time.Minute))
	next.WithLabelValues("a").Set(float64(t0.Add(time.Minute).Unix()))
	// b: never added; a listing page with misses, a timeout, a status.
	m.ListingSelectorMissed("b", "date")
	misses.WithLabelValues("b", "date").Inc()
	m.ListingSelectorMissed("b", "nonsense")
	misses.WithLabelValues("b", "other").Inc()
	m.FetchDone("b", "reset by peer", 50*time.Millisecond, 0)
	fetches.WithLabelValues("b", "other").Inc()
	duration.WithLabelValues("b").Observe(.05)
	m.ItemsNew("b", 0)
	itemsNew.WithLabelValues("b")
	m.ItemsTooOld("b", 4)
	tooOld.WithLabelValues("b").Add(4)
	m.FeedStatus("b", 3, time.Time{}, t0)
	failures.WithLabelValues("b").Set(3)
	newItem.WithLabelValues("b").Set(now)
	// c: added, then removed.
	m.AddFeed("c")
	m.FetchDone("c", ResultOK, time.Second, 1)
	m.RemoveFeed("c")

	got, want := expose(t, m.reg), expose(t, ref)
	if !bytes.Contains(want, []byte(`vigie_fetch_duration_seconds_bucket{feed="a",le="0.5"} 1`)) || bytes.Contains(want, []byte(`feed="c"`)) {
		t.Fatalf("the reference lacks what it was given:\n%s", want)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("per-feed series differ from the *Vec ones:\ngot\n%s\nwant\n%s", got, want)
	}
}

func helpOf(t *testing.T, d *prometheus.Desc) string {
	t.Helper()
	// A Desc keeps its help unexported; String shows it.
	s := d.String()
	const key = `help: "`
	_, rest, ok := strings.Cut(s, key)
	if !ok {
		t.Fatalf("no help in %s", s)
	}
	help, _, _ := strings.Cut(rest, `", `)
	return help
}

// expose writes the families with a feed label in the text format.
func expose(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range fams {
		if len(f.GetMetric()) == 0 || len(f.GetMetric()[0].GetLabel()) == 0 || f.GetMetric()[0].GetLabel()[0].GetName() != "feed" {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}
