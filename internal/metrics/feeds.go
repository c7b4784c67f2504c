package metrics

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// fetchBuckets are the upper bounds of vigie_fetch_duration_seconds.
var fetchBuckets = [...]float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60}

// resultOrder numbers the fetch results, for the per-feed counts.
var resultOrder = []string{
	ResultOK, ResultNotModified, ResultHTTP4xx, ResultHTTP5xx, ResultHTTPOther,
	ResultTimeout, ResultNetwork, ResultTooLarge, ResultRedirects, ResultInvalidURL,
	ResultParse, ResultSalvaged, ResultOther,
}

// selectorOrder numbers the values of the selector label of
// vigie_listing_selector_misses_total.
var selectorOrder = []string{"item", "title", "link", "date", "summary", "other"}

// Which of a feed's series exist. A series exists once it was set or
// counted, or created at zero by AddFeed, as with a *Vec's WithLabelValues.
const (
	hasDuration uint32 = 1 << iota
	hasBytes
	hasItemsNew
	hasItemsSeen
	hasItemsTooOld
	hasFailures
	hasLastSuccess
	hasLastNewItem
	hasNextFetch
)

// feedRecord is every per-feed series of one feed, in a few hundred bytes
// (a series of a *Vec costs about half a kilobyte, a histogram's several
// kilobytes, and a feed has ten of them).
type feedRecord struct {
	has       uint32
	fetchHas  uint16 // bit i: the series of resultOrder[i] exists
	missHas   uint8  // bit i: the series of selectorOrder[i] exists
	fetches   [13]uint64
	durCounts [12]uint64 // per bucket of fetchBuckets, then +Inf; not cumulative
	durSum    float64
	misses    [6]uint64

	bytes, itemsNew, itemsSeen, itemsTooOld       float64
	failures, lastSuccess, lastNewItem, nextFetch float64
}

// feedSeries holds the per-feed series of every feed and exports them as
// the families a CounterVec, GaugeVec and HistogramVec with a feed label
// would: same names, help, types, labels and values.
type feedSeries struct {
	mu    sync.Mutex
	feeds map[string]*feedRecord

	fetches, fetchDuration, fetchBytes, itemsNew, itemsSeen, itemsTooOld, selectorMiss *prometheus.Desc
	failures, lastSuccess, lastNewItem, nextFetch                                      *prometheus.Desc
}

// family is one metric the per-feed collector exports.
type family struct {
	desc *prometheus.Desc
	name string
}

func newFeedSeries() (*feedSeries, []family) {
	s := &feedSeries{feeds: make(map[string]*feedRecord)}
	var fams []family
	def := func(d **prometheus.Desc, name, help string, labels ...string) {
		*d = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
		fams = append(fams, family{*d, Namespace + "_" + name})
	}
	def(&s.fetches, "fetches_total",
		"Feed fetches by feed and result (ok, not_modified, or the kind of error).", "feed", "result")
	def(&s.fetchDuration, "fetch_duration_seconds",
		"Time to fetch a feed, from the request to the end of the body.", "feed")
	def(&s.fetchBytes, "fetch_bytes_total",
		"Bytes of feed bodies read, after decompression.", "feed")
	def(&s.itemsNew, "items_new_total",
		"Items seen for the first time and published.", "feed")
	def(&s.itemsSeen, "items_seen_total",
		"Items dropped because they were already published.", "feed")
	def(&s.itemsTooOld, "items_too_old_total",
		"Items dropped, never published nor alerted, because they were published longer ago than the feed's max_age.", "feed")
	def(&s.selectorMiss, "listing_selector_misses_total",
		"Reads of a listing page on which one of its CSS selectors (item, title, link, date, summary) matched nothing: the page changed, its selectors must follow.", "feed", "selector")
	def(&s.failures, "feed_consecutive_failures",
		"Fetches of the feed that failed in a row; 0 after a success.", "feed")
	def(&s.lastSuccess, "feed_last_success_timestamp_seconds",
		"Unix time of the feed's last successful fetch (ok, not_modified or salvaged).", "feed")
	def(&s.lastNewItem, "feed_last_new_item_timestamp_seconds",
		"Unix time at which the feed last gave a new item; time() minus this is how long it has been quiet.", "feed")
	def(&s.nextFetch, "feed_next_fetch_timestamp_seconds",
		"Unix time of the feed's next scheduled fetch.", "feed")
	return s, fams
}

// update runs fn on feed's record, made if it is missing, under the lock.
func (s *feedSeries) update(feed string, fn func(r *feedRecord)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.feeds[feed]
	if r == nil {
		r = new(feedRecord)
		s.feeds[feed] = r
	}
	fn(r)
}

// remove deletes every series of feed.
func (s *feedSeries) remove(feed string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.feeds, feed)
}

func (r *feedRecord) countFetch(result string, n uint64) {
	i := indexOf(resultOrder, result, len(resultOrder)-1)
	r.fetchHas |= 1 << i
	r.fetches[i] += n
}

func (r *feedRecord) countMiss(selector string) {
	i := indexOf(selectorOrder, selector, len(selectorOrder)-1)
	r.missHas |= 1 << i
	r.misses[i]++
}

func (r *feedRecord) observe(seconds float64) {
	r.has |= hasDuration
	r.durCounts[sort.SearchFloat64s(fetchBuckets[:], seconds)]++
	r.durSum += seconds
}

// indexOf is the index of v in list, or other when it is not there.
func indexOf(list []string, v string, other int) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return other
}

// Describe implements prometheus.Collector.
func (s *feedSeries) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.fetches, s.fetchDuration, s.fetchBytes, s.itemsNew, s.itemsSeen,
		s.itemsTooOld, s.selectorMiss, s.failures, s.lastSuccess, s.lastNewItem, s.nextFetch} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. The series are made from a
// copy of the records taken under the lock, so that a slow scrape does
// not hold up the fetches.
func (s *feedSeries) Collect(ch chan<- prometheus.Metric) {
	type snap struct {
		feed string
		rec  feedRecord
	}
	s.mu.Lock()
	snaps := make([]snap, 0, len(s.feeds))
	for feed, r := range s.feeds {
		snaps = append(snaps, snap{feed, *r})
	}
	s.mu.Unlock()
	for i := range snaps {
		s.collect(ch, snaps[i].feed, &snaps[i].rec)
	}
}

func (s *feedSeries) collect(ch chan<- prometheus.Metric, feed string, r *feedRecord) {
	// One label pair for the feed, shared by its series, and every series
	// in one array: a scrape of thousands of feeds made some sixty
	// allocations per feed through the client's const metrics (each
	// checks and copies its labels), several times the memory of the
	// series themselves.
	feedLabel := &dto.LabelPair{Name: &labelFeed, Value: &feed}
	one := []*dto.LabelPair{feedLabel}
	ms := make([]feedMetric, 0, 10)
	emit := func(m feedMetric) {
		ms = append(ms, m)
		ch <- &ms[len(ms)-1]
	}
	for i := range resultOrder {
		if r.fetchHas&(1<<i) != 0 {
			emit(feedMetric{desc: s.fetches, labels: []*dto.LabelPair{feedLabel, resultLabels[i]}, typ: prometheus.CounterValue, val: float64(r.fetches[i])})
		}
	}
	for i := range selectorOrder {
		if r.missHas&(1<<i) != 0 {
			emit(feedMetric{desc: s.selectorMiss, labels: []*dto.LabelPair{feedLabel, selectorLabels[i]}, typ: prometheus.CounterValue, val: float64(r.misses[i])})
		}
	}
	if r.has&hasDuration != 0 {
		ch <- &feedHistogram{desc: s.fetchDuration, labels: one, counts: r.durCounts, sum: r.durSum}
	}
	for _, v := range []struct {
		bit  uint32
		desc *prometheus.Desc
		typ  prometheus.ValueType
		val  float64
	}{
		{hasBytes, s.fetchBytes, prometheus.CounterValue, r.bytes},
		{hasItemsNew, s.itemsNew, prometheus.CounterValue, r.itemsNew},
		{hasItemsSeen, s.itemsSeen, prometheus.CounterValue, r.itemsSeen},
		{hasItemsTooOld, s.itemsTooOld, prometheus.CounterValue, r.itemsTooOld},
		{hasFailures, s.failures, prometheus.GaugeValue, r.failures},
		{hasLastSuccess, s.lastSuccess, prometheus.GaugeValue, r.lastSuccess},
		{hasLastNewItem, s.lastNewItem, prometheus.GaugeValue, r.lastNewItem},
		{hasNextFetch, s.nextFetch, prometheus.GaugeValue, r.nextFetch},
	} {
		if r.has&v.bit != 0 {
			emit(feedMetric{desc: v.desc, labels: one, typ: v.typ, val: v.val})
		}
	}
}

// The label pairs of the per-feed series besides the feed's, made once.
var (
	labelFeed, labelResult, labelSelector = "feed", "result", "selector"
	resultLabels                          = labelPairs(&labelResult, resultOrder)
	selectorLabels                        = labelPairs(&labelSelector, selectorOrder)
)

func labelPairs(name *string, values []string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, len(values))
	for i := range values {
		out[i] = &dto.LabelPair{Name: name, Value: &values[i]}
	}
	return out
}

// feedMetric is a counter or a gauge of one feed, written as the client's
// const metrics write theirs. Its labels are sorted by name ("feed" comes
// before "result" and "selector"), and valid UTF-8 (see label).
type feedMetric struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	typ    prometheus.ValueType
	val    float64
}

func (m *feedMetric) Desc() *prometheus.Desc { return m.desc }

func (m *feedMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	if m.typ == prometheus.CounterValue {
		out.Counter = &dto.Counter{Value: &m.val}
	} else {
		out.Gauge = &dto.Gauge{Value: &m.val}
	}
	return nil
}

// feedHistogram is a feed's fetch durations, written as the client's const
// histograms write theirs.
type feedHistogram struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	counts [12]uint64 // per bucket of fetchBuckets, then +Inf; not cumulative
	sum    float64
}

func (h *feedHistogram) Desc() *prometheus.Desc { return h.desc }

func (h *feedHistogram) Write(out *dto.Metric) error {
	var cum [len(fetchBuckets)]uint64
	buckets := make([]dto.Bucket, len(fetchBuckets))
	ptrs := make([]*dto.Bucket, len(fetchBuckets))
	var n uint64
	for i := range fetchBuckets {
		n += h.counts[i]
		cum[i] = n
		buckets[i] = dto.Bucket{CumulativeCount: &cum[i], UpperBound: &fetchBuckets[i]}
		ptrs[i] = &buckets[i]
	}
	n += h.counts[len(fetchBuckets)]
	out.Label = h.labels
	out.Histogram = &dto.Histogram{SampleCount: &n, SampleSum: &h.sum, Bucket: ptrs}
	return nil
}
