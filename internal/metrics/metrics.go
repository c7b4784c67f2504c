// Package metrics defines Vigie's Prometheus metrics on a registry of their
// own, and the methods the daemon calls to record what it does.
package metrics

import (
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes the name of every metric Vigie defines.
const Namespace = "vigie"

// Fetch results, the values of the result label of vigie_fetches_total.
// A result outside this list is recorded as ResultOther, so that a mistake
// cannot grow the number of series without bound.
const (
	ResultOK          = "ok"
	ResultNotModified = "not_modified"
	// ResultHTTP4xx and ResultHTTP5xx are error statuses; see StatusResult.
	ResultHTTP4xx    = "http_4xx"
	ResultHTTP5xx    = "http_5xx"
	ResultHTTPOther  = "http_other"
	ResultTimeout    = "timeout"
	ResultNetwork    = "network"
	ResultTooLarge   = "too_large"
	ResultRedirects  = "too_many_redirects"
	ResultInvalidURL = "invalid_url"
	// ResultParse is a body that was fetched but could not be read as a feed.
	ResultParse = "parse"
	// ResultSalvaged is a feed cut short or broken, of which only the
	// items before the damage were read.
	ResultSalvaged = "salvaged"
	ResultOther    = "other"
)

var results = map[string]bool{
	ResultOK: true, ResultNotModified: true, ResultHTTP4xx: true, ResultHTTP5xx: true,
	ResultHTTPOther: true, ResultTimeout: true, ResultNetwork: true, ResultTooLarge: true,
	ResultRedirects: true, ResultInvalidURL: true, ResultParse: true, ResultSalvaged: true,
	ResultOther: true,
}

// StatusResult is the fetch result for an HTTP status that is neither a
// success nor 304 Not Modified.
func StatusResult(code int) string {
	switch {
	case code >= 400 && code < 500:
		return ResultHTTP4xx
	case code >= 500 && code < 600:
		return ResultHTTP5xx
	default:
		return ResultHTTPOther
	}
}

// Article page results, the values of the result label of
// vigie_article_fetches_total (internal/article's outcomes). A result
// outside this list is recorded as other.
var articleResults = []string{
	"ok", "robots", "blocked_address", "invalid_url", "too_large", "timeout",
	"too_many_redirects", "http_4xx", "http_5xx", "http_other", "network",
	"deferred", "not_html", "no_text", "other",
}

// Kinds of message for PublishError.
const (
	KindItem  = "item"
	KindAlert = "alert"
	KindJob   = "job"
	KindSeen  = "seen"
)

// Metrics holds every metric Vigie exports. Its methods are safe for
// concurrent use, and a nil *Metrics records nothing, so that code paths
// without an operations listener (vigie once) need no checks.
type Metrics struct {
	reg   *prometheus.Registry
	now   func() time.Time
	names []string

	// feeds holds every series with a feed label, one compact record
	// per feed: with thousands of feeds, a *Vec per metric cost tens of
	// megabytes.
	feeds *feedSeries

	alerts      *prometheus.CounterVec
	alertTopics *prometheus.CounterVec

	publishErrors *prometheus.CounterVec
	jobsRequeued  *prometheus.CounterVec

	articles *prometheus.CounterVec

	deliveries       *prometheus.CounterVec
	deliveryDuration *prometheus.HistogramVec
	deliveryRetries  *prometheus.CounterVec
	deliveryFailures *prometheus.CounterVec
	failedRecords    *prometheus.GaugeVec

	reloads          *prometheus.CounterVec
	reloadSuccessful prometheus.Gauge
	reloadTimestamp  prometheus.Gauge

	buildInfo *prometheus.GaugeVec
}

// New returns Vigie's metrics on a new registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	feeds, fams := newFeedSeries()
	m.feeds = feeds
	m.reg.MustRegister(feeds)
	for _, f := range fams {
		m.names = append(m.names, f.name)
	}

	m.alerts = m.counterVec("alerts_total",
		"Alerts raised, one per item and classifier that matched it.", "classifier", "lang")
	m.alertTopics = m.counterVec("alert_topics_total",
		"Topics matched in alerts; an alert counts once for each topic it matched.", "classifier", "topic", "lang")

	m.publishErrors = m.counterVec("publish_errors_total",
		"Publishes to NATS that failed, by kind of message (item, alert, job, seen); a fetch job that fails so is put back on the queue.", "kind")
	m.jobsRequeued = m.counterVec("jobs_requeued_total",
		"Fetch jobs put back on the queue because NATS failed while they ran; they are tried again 10 s later.")

	m.articles = m.counterVec("article_fetches_total",
		"Article pages asked for because a feed gave only a teaser, by result (ok, robots, blocked_address, too_large, ...); the item keeps its feed text unless ok.", "result")
	for _, r := range articleResults {
		m.articles.WithLabelValues(r)
	}

	m.deliveries = m.counterVec("notify_deliveries_total",
		"Alerts delivered to a notification route.", "route")
	m.deliveryDuration = m.histogramVec("notify_delivery_duration_seconds",
		"Time of a successful delivery to a notification route.",
		[]float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30}, "route")
	m.deliveryRetries = m.counterVec("notify_retries_total",
		"Deliveries to a notification route that failed and will be tried again.", "route")
	m.deliveryFailures = m.counterVec("notify_failures_total",
		"Alerts a notification route gave up on after its last attempt.", "route")
	m.failedRecords = m.gaugeVec("notify_failed_records",
		"Deliveries a route gave up on that are kept in VIGIE_NOTIFY_FAILED, by route: what vigie failures list shows, until they are resent or purged.", "route")

	m.reloads = m.counterVec("config_reloads_total",
		"Configuration reloads by result (ok, error).", "result")
	m.reloadSuccessful = m.gauge("config_last_reload_successful",
		"1 if the last configuration reload succeeded (or none was tried), 0 if it failed.")
	m.reloadTimestamp = m.gauge("config_last_reload_success_timestamp_seconds",
		"Unix time of the last successful configuration load.")
	m.reloadSuccessful.Set(1)
	m.reloadTimestamp.Set(unix(m.now()))

	m.buildInfo = m.gaugeVec("build_info",
		"Always 1; its labels say which Vigie is running.", "version", "goversion")
	return m
}

func (m *Metrics) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	m.register(name, v)
	return v
}

func (m *Metrics) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	m.register(name, v)
	return v
}

func (m *Metrics) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	m.register(name, g)
	return g
}

func (m *Metrics) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	m.register(name, v)
	return v
}

func (m *Metrics) register(name string, c prometheus.Collector) {
	m.reg.MustRegister(c)
	m.names = append(m.names, Namespace+"_"+name)
}

// Handler serves the metrics in the Prometheus text or OpenMetrics format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg,
		EnableOpenMetrics: true,
	}))
}

// Registry is the registry the metrics live on, for collectors that other
// packages add (the embedded NATS server's, for instance).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Names lists the names of the metrics Vigie defines (all prefixed vigie_),
// without the Go runtime and process metrics, so that dashboards and alert
// rules can be checked against them.
func (m *Metrics) Names() []string { return append([]string(nil), m.names...) }

// BuildInfo records the running version in vigie_build_info.
func (m *Metrics) BuildInfo(version string) {
	if m == nil {
		return
	}
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(label(version), runtime.Version()).Set(1)
}

// AddFeed creates the feed's series at zero, so that rates and alert rules
// see the feed before its first fetch ends.
func (m *Metrics) AddFeed(feed string) {
	if m == nil {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.countFetch(ResultOK, 0)
		r.has |= hasBytes | hasItemsNew | hasItemsSeen | hasItemsTooOld | hasFailures
	})
}

// RemoveFeed deletes every series of a feed that the configuration no
// longer has, so that a reload does not leave it looking stuck.
func (m *Metrics) RemoveFeed(feed string) {
	if m == nil {
		return
	}
	m.feeds.remove(label(feed))
}

// FetchDone records one fetch of feed: its result (one of the Result
// constants), how long it took, and the bytes of body read. A success (ok,
// not_modified, or salvaged: items were read) also sets the feed's last
// success time.
func (m *Metrics) FetchDone(feed, result string, d time.Duration, bytes int) {
	if m == nil {
		return
	}
	if !results[result] {
		result = ResultOther
	}
	now := unix(m.now())
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.countFetch(result, 1)
		r.observe(d.Seconds())
		if bytes > 0 {
			r.has |= hasBytes
			r.bytes += float64(bytes)
		}
		if result == ResultOK || result == ResultNotModified || result == ResultSalvaged {
			r.has |= hasLastSuccess
			r.lastSuccess = now
		}
	})
}

// ItemsNew counts n new items from feed and, when n > 0, marks the feed as
// having given news now.
func (m *Metrics) ItemsNew(feed string, n int) {
	if m == nil || n < 0 {
		return
	}
	now := unix(m.now())
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasItemsNew
		r.itemsNew += float64(n)
		if n > 0 {
			r.has |= hasLastNewItem
			r.lastNewItem = now
		}
	})
}

// ItemsSeen counts n items from feed dropped as already published.
func (m *Metrics) ItemsSeen(feed string, n int) {
	if m == nil || n < 0 {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasItemsSeen
		r.itemsSeen += float64(n)
	})
}

// ItemsTooOld counts n items from feed dropped as older than its max_age.
func (m *Metrics) ItemsTooOld(feed string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasItemsTooOld
		r.itemsTooOld += float64(n)
	})
}

// ListingSelectorMissed counts a read of feed's listing page on which the
// selector named (item, title, link, date or summary) matched nothing.
func (m *Metrics) ListingSelectorMissed(feed, selector string) {
	if m == nil {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) { r.countMiss(selector) })
}

// FeedFailures sets how many fetches of feed have failed in a row (0 after
// a success). The daemon keeps the count with the feed's fetch state, so it
// is shared by every instance.
func (m *Metrics) FeedFailures(feed string, n int) {
	if m == nil {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasFailures
		r.failures = float64(n)
	})
}

// FeedStatus sets the feed's health gauges from its fetch state as the
// daemon keeps it in the vigie_feeds bucket: consecutive failures, last
// successful fetch, last new item. Calling it when the daemon starts and
// after each fetch keeps the gauges right across restarts and when another
// instance did the fetch. A zero time leaves its gauge as it is.
func (m *Metrics) FeedStatus(feed string, failures int, lastSuccess, lastNewItem time.Time) {
	if m == nil {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasFailures
		r.failures = float64(failures)
		if !lastSuccess.IsZero() {
			r.has |= hasLastSuccess
			r.lastSuccess = unix(lastSuccess)
		}
		if !lastNewItem.IsZero() {
			r.has |= hasLastNewItem
			r.lastNewItem = unix(lastNewItem)
		}
	})
}

// FeedNextFetch records when feed is next scheduled to be fetched.
func (m *Metrics) FeedNextFetch(feed string, at time.Time) {
	if m == nil {
		return
	}
	m.feeds.update(label(feed), func(r *feedRecord) {
		r.has |= hasNextFetch
		r.nextFetch = unix(at)
	})
}

// Alert counts one alert of classifier on an item in lang, and each topic
// it matched. An empty lang is recorded as und, as in subjects.
func (m *Metrics) Alert(classifier, lang string, topics ...string) {
	if m == nil {
		return
	}
	if lang == "" {
		lang = "und"
	}
	classifier, lang = label(classifier), label(lang)
	m.alerts.WithLabelValues(classifier, lang).Inc()
	for _, t := range topics {
		m.alertTopics.WithLabelValues(classifier, label(t), lang).Inc()
	}
}

// PublishError counts a publish to NATS that failed for good; kind is one
// of the Kind constants.
func (m *Metrics) PublishError(kind string) {
	if m == nil {
		return
	}
	m.publishErrors.WithLabelValues(label(kind)).Inc()
}

// JobRequeued counts a fetch job put back on the queue after a NATS failure.
func (m *Metrics) JobRequeued() {
	if m == nil {
		return
	}
	m.jobsRequeued.WithLabelValues().Inc()
}

// ArticleFetch counts one article page asked for, by its result (see
// internal/article); "" (no page asked for) is not counted.
func (m *Metrics) ArticleFetch(result string) {
	if m == nil || result == "" {
		return
	}
	if !slices.Contains(articleResults, result) {
		result = "other"
	}
	m.articles.WithLabelValues(result).Inc()
}

// AddRoute creates a notification route's series at zero. Routes are named
// by their configured name only: their URLs are secrets.
func (m *Metrics) AddRoute(route string) {
	if m == nil {
		return
	}
	route = label(route)
	m.deliveries.WithLabelValues(route)
	m.deliveryRetries.WithLabelValues(route)
	m.deliveryFailures.WithLabelValues(route)
}

// RemoveRoute deletes every series of a route the configuration no longer has.
func (m *Metrics) RemoveRoute(route string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"route": label(route)}
	m.deliveries.DeletePartialMatch(l)
	m.deliveryDuration.DeletePartialMatch(l)
	m.deliveryRetries.DeletePartialMatch(l)
	m.deliveryFailures.DeletePartialMatch(l)
}

// NotifyDelivered counts an alert delivered to route in d.
func (m *Metrics) NotifyDelivered(route string, d time.Duration) {
	if m == nil {
		return
	}
	route = label(route)
	m.deliveries.WithLabelValues(route).Inc()
	m.deliveryDuration.WithLabelValues(route).Observe(d.Seconds())
}

// NotifyRetry counts a failed delivery to route that will be tried again.
func (m *Metrics) NotifyRetry(route string) {
	if m == nil {
		return
	}
	m.deliveryRetries.WithLabelValues(label(route)).Inc()
}

// NotifyFailed counts an alert that route gave up on.
func (m *Metrics) NotifyFailed(route string) {
	if m == nil {
		return
	}
	m.deliveryFailures.WithLabelValues(label(route)).Inc()
}

// NotifyFailedRecords sets how many failed deliveries are kept, by route;
// routes missing from counts have none.
func (m *Metrics) NotifyFailedRecords(counts map[string]int) {
	if m == nil {
		return
	}
	m.failedRecords.Reset()
	for route, n := range counts {
		m.failedRecords.WithLabelValues(label(route)).Set(float64(n))
	}
}

// ConfigReload records the outcome of a configuration reload; err is nil
// when the new configuration was loaded and applied.
func (m *Metrics) ConfigReload(err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.reloads.WithLabelValues("error").Inc()
		m.reloadSuccessful.Set(0)
		return
	}
	m.reloads.WithLabelValues("ok").Inc()
	m.reloadSuccessful.Set(1)
	m.reloadTimestamp.Set(unix(m.now()))
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// label makes a label value valid: client_golang panics on invalid UTF-8,
// and a feed title or rule file name must never take the daemon down.
func label(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return strings.ToValidUTF8(v, "\uFFFD")
}
