package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newAt(now time.Time) *Metrics {
	m := New()
	m.now = func() time.Time { return now }
	return m
}

func TestFetchDone(t *testing.T) {
	tests := []struct {
		name        string
		result      string
		wantResult  string
		wantSuccess bool
	}{
		{"ok", ResultOK, ResultOK, true},
		{"not modified", ResultNotModified, ResultNotModified, true},
		{"server error", ResultHTTP5xx, ResultHTTP5xx, false},
		{"timeout", ResultTimeout, ResultTimeout, false},
		{"unknown result is other", "connection reset by 10.0.0.1", ResultOther, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newAt(t0)
			m.FetchDone("vna-fr", tt.result, 1500*time.Millisecond, 2048)
			if got := feedValue(t, m, "vigie_fetches_total", "vna-fr", tt.wantResult); got != 1 {
				t.Errorf("fetches{result=%q} = %v, want 1", tt.wantResult, got)
			}
			if n := feedSeriesCount(t, m, "vigie_fetches_total"); n != 1 {
				t.Errorf("%d fetch series, want 1", n)
			}
			if got := feedValue(t, m, "vigie_fetch_bytes_total", "vna-fr"); got != 2048 {
				t.Errorf("bytes = %v, want 2048", got)
			}
			h := histogram(t, m, "vigie_fetch_duration_seconds", "vna-fr")
			if h.count != 1 || h.sum != 1.5 {
				t.Errorf("duration histogram count %d sum %v, want 1 and 1.5", h.count, h.sum)
			}
			success := feedSeriesCount(t, m, "vigie_feed_last_success_timestamp_seconds") == 1
			if success != tt.wantSuccess {
				t.Fatalf("last success set = %v, want %v", success, tt.wantSuccess)
			}
			if success {
				if got := feedValue(t, m, "vigie_feed_last_success_timestamp_seconds", "vna-fr"); got != float64(t0.Unix()) {
					t.Errorf("last success = %v, want %v", got, t0.Unix())
				}
			}
		})
	}
}

func TestStatusResult(t *testing.T) {
	for code, want := range map[int]string{404: ResultHTTP4xx, 429: ResultHTTP4xx, 503: ResultHTTP5xx, 302: ResultHTTPOther, 200: ResultHTTPOther} {
		if got := StatusResult(code); got != want {
			t.Errorf("StatusResult(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestItemsNewMarksFeedActive(t *testing.T) {
	now := t0
	m := New()
	m.now = func() time.Time { return now }

	m.ItemsNew("jica-en", 3)
	now = t0.Add(time.Hour)
	m.ItemsNew("jica-en", 0) // a fetch with nothing new: the feed is still quiet since t0
	m.ItemsSeen("jica-en", 5)

	if got := feedValue(t, m, "vigie_items_new_total", "jica-en"); got != 3 {
		t.Errorf("new items = %v, want 3", got)
	}
	if got := feedValue(t, m, "vigie_items_seen_total", "jica-en"); got != 5 {
		t.Errorf("seen items = %v, want 5", got)
	}
	if got := feedValue(t, m, "vigie_feed_last_new_item_timestamp_seconds", "jica-en"); got != float64(t0.Unix()) {
		t.Errorf("last new item = %v, want %v (the time of the last fetch with news)", got, t0.Unix())
	}
}

func TestFeedGauges(t *testing.T) {
	m := New()
	next := t0.Add(15 * time.Minute)
	m.FeedFailures("reuters-world", 4)
	m.FeedNextFetch("reuters-world", next)
	if got := feedValue(t, m, "vigie_feed_consecutive_failures", "reuters-world"); got != 4 {
		t.Errorf("failures = %v, want 4", got)
	}
	m.FeedFailures("reuters-world", 0)
	if got := feedValue(t, m, "vigie_feed_consecutive_failures", "reuters-world"); got != 0 {
		t.Errorf("failures after success = %v, want 0", got)
	}
	if got := feedValue(t, m, "vigie_feed_next_fetch_timestamp_seconds", "reuters-world"); got != float64(next.Unix()) {
		t.Errorf("next fetch = %v, want %v", got, next.Unix())
	}
}

func TestFeedStatusRestoresGauges(t *testing.T) {
	m := New()
	success, news := t0.Add(-time.Hour), t0.Add(-72*time.Hour)
	m.FeedStatus("vna-zh", 2, success, news)
	if got := feedValue(t, m, "vigie_feed_consecutive_failures", "vna-zh"); got != 2 {
		t.Errorf("failures = %v, want 2", got)
	}
	if got := feedValue(t, m, "vigie_feed_last_success_timestamp_seconds", "vna-zh"); got != float64(success.Unix()) {
		t.Errorf("last success = %v, want %v", got, success.Unix())
	}
	if got := feedValue(t, m, "vigie_feed_last_new_item_timestamp_seconds", "vna-zh"); got != float64(news.Unix()) {
		t.Errorf("last new item = %v, want %v", got, news.Unix())
	}

	// A feed never fetched successfully has no success time to show.
	m.FeedStatus("vna-fr", 1, time.Time{}, time.Time{})
	body := scrape(t, m)
	if strings.Contains(body, `vigie_feed_last_success_timestamp_seconds{feed="vna-fr"}`) {
		t.Error("a zero last success time was exported")
	}
	if !strings.Contains(body, `vigie_feed_consecutive_failures{feed="vna-fr"} 1`) {
		t.Error("failures of vna-fr not exported")
	}
}

func TestAlertCountsOncePerAlertAndOncePerTopic(t *testing.T) {
	m := New()
	m.Alert("cyber-diplomacy", "fr", "un-processes", "norms")
	m.Alert("cyber-diplomacy", "fr", "norms")
	m.Alert("cyber-diplomacy", "")

	if got := testutil.ToFloat64(m.alerts.WithLabelValues("cyber-diplomacy", "fr")); got != 2 {
		t.Errorf("alerts{fr} = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.alerts.WithLabelValues("cyber-diplomacy", "und")); got != 1 {
		t.Errorf("alerts{und} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.alertTopics.WithLabelValues("cyber-diplomacy", "norms", "fr")); got != 2 {
		t.Errorf("topic norms = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.alertTopics.WithLabelValues("cyber-diplomacy", "un-processes", "fr")); got != 1 {
		t.Errorf("topic un-processes = %v, want 1", got)
	}
}

func TestNotifyAndPublish(t *testing.T) {
	m := New()
	m.NotifyDelivered("soc-slack", 200*time.Millisecond)
	m.NotifyRetry("siem")
	m.NotifyRetry("siem")
	m.NotifyFailed("siem")
	m.JobRequeued()
	m.PublishError(KindItem)

	checks := []struct {
		name string
		got  float64
		want float64
	}{
		{"deliveries soc-slack", testutil.ToFloat64(m.deliveries.WithLabelValues("soc-slack")), 1},
		{"retries siem", testutil.ToFloat64(m.deliveryRetries.WithLabelValues("siem")), 2},
		{"failures siem", testutil.ToFloat64(m.deliveryFailures.WithLabelValues("siem")), 1},
		{"jobs requeued", testutil.ToFloat64(m.jobsRequeued.WithLabelValues()), 1},
		{"publish errors item", testutil.ToFloat64(m.publishErrors.WithLabelValues(KindItem)), 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.deliveries); n != 1 {
		t.Errorf("%d delivery series, want 1 (siem delivered nothing)", n)
	}
}

func TestRemoveFeedAndRoute(t *testing.T) {
	m := New()
	for _, f := range []string{"vna-fr", "vna-en"} {
		m.AddFeed(f)
		m.FetchDone(f, ResultOK, time.Second, 10)
		m.ItemsNew(f, 1)
		m.FeedNextFetch(f, t0)
	}
	m.AddRoute("siem")
	m.NotifyDelivered("siem", time.Second)
	m.AddRoute("soc-slack")

	m.RemoveFeed("vna-fr")
	m.RemoveRoute("siem")

	body := scrape(t, m)
	for _, gone := range []string{`feed="vna-fr"`, `route="siem"`} {
		if strings.Contains(body, gone) {
			t.Errorf("series with %s left after removal", gone)
		}
	}
	for _, kept := range []string{`vigie_feed_next_fetch_timestamp_seconds{feed="vna-en"}`, `vigie_notify_deliveries_total{route="soc-slack"} 0`} {
		if !strings.Contains(body, kept) {
			t.Errorf("scrape lacks %s", kept)
		}
	}
}

func TestAddFeedStartsAtZero(t *testing.T) {
	m := New()
	m.AddFeed("icann-news")
	body := scrape(t, m)
	for _, want := range []string{
		`vigie_fetches_total{feed="icann-news",result="ok"} 0`,
		`vigie_items_new_total{feed="icann-news"} 0`,
		`vigie_feed_consecutive_failures{feed="icann-news"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestConfigReload(t *testing.T) {
	now := t0
	m := New()
	m.now = func() time.Time { return now }
	m.ConfigReload(nil)
	now = t0.Add(time.Minute)
	m.ConfigReload(errors.New("feeds.yaml:3: bad"))

	if got := testutil.ToFloat64(m.reloadSuccessful); got != 0 {
		t.Errorf("last reload successful = %v after a failure, want 0", got)
	}
	if got := testutil.ToFloat64(m.reloadTimestamp); got != float64(t0.Unix()) {
		t.Errorf("last success timestamp = %v, want %v (the failed reload must not move it)", got, t0.Unix())
	}
	if got := testutil.ToFloat64(m.reloads.WithLabelValues("error")); got != 1 {
		t.Errorf("reloads{error} = %v, want 1", got)
	}
}

// Every name that Names lists is exported once each method has been called,
// and Vigie exports no vigie_ metric that Names does not list: dashboards
// and alert rules are checked against Names.
func TestNamesMatchExport(t *testing.T) {
	m := New()
	m.BuildInfo("v1.2.3")
	m.AddFeed("f")
	m.FetchDone("f", ResultOK, time.Second, 1)
	m.ItemsNew("f", 1)
	m.ItemsSeen("f", 1)
	m.ItemsTooOld("f", 1)
	m.ListingSelectorMissed("f", "date")
	m.FeedFailures("f", 1)
	m.FeedNextFetch("f", t0)
	m.Alert("c", "en", "t")
	m.PublishError(KindItem)
	m.JobRequeued()
	m.AddRoute("r")
	m.NotifyDelivered("r", time.Second)
	m.NotifyRetry("r")
	m.NotifyFailed("r")
	m.NotifyFailedRecords(map[string]int{"r": 2})
	m.ConfigReload(nil)

	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var exported []string
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), Namespace+"_") {
			exported = append(exported, f.GetName())
		}
	}
	names := m.Names()
	slices.Sort(names)
	if !slices.Equal(exported, names) {
		t.Errorf("exported %v\nNames() %v", exported, names)
	}
}

func TestRuntimeAndProcessCollectors(t *testing.T) {
	body := scrape(t, New())
	for _, want := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds", "vigie_config_last_reload_successful 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

// Several Metrics live side by side: none uses the global registry.
func TestIndependentRegistries(t *testing.T) {
	a, b := New(), New()
	a.ItemsNew("f", 1)
	if n := feedSeriesCount(t, b, "vigie_items_new_total"); n != 0 {
		t.Errorf("a's items appear in b: %d series", n)
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	m.FetchDone("f", ResultOK, time.Second, 1)
	m.ItemsNew("f", 1)
	m.Alert("c", "en", "t")
	m.NotifyFailed("r")
	m.ConfigReload(nil)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil handler status %d, want 404", rec.Code)
	}
}

func TestInvalidUTF8LabelDoesNotPanic(t *testing.T) {
	m := New()
	m.Alert("rules/\xff.yaml", "en", "t\xfe")
	if got := testutil.ToFloat64(m.alerts.WithLabelValues("rules/\uFFFD.yaml", "en")); got != 1 {
		t.Errorf("alerts with repaired label = %v, want 1", got)
	}
}

func TestHandlerOpenMetrics(t *testing.T) {
	m := New()
	m.ItemsNew("f", 2)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("content type %q, want OpenMetrics", ct)
	}
	if !strings.Contains(rec.Body.String(), `vigie_items_new_total{feed="f"} 2`) {
		t.Errorf("OpenMetrics body lacks the item counter:\n%s", rec.Body.String())
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

type hist struct {
	count uint64
	sum   float64
}

func histogram(t *testing.T, m *Metrics, name, feed string) hist {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "feed" && l.GetValue() == feed {
					return hist{mt.GetHistogram().GetSampleCount(), mt.GetHistogram().GetSampleSum()}
				}
			}
		}
	}
	t.Fatalf("no %s{feed=%q}", name, feed)
	return hist{}
}

// The daemon may build its handler more than once (on a reload that moves
// the listener): the handler's own metrics must not collide.
func TestHandlerTwice(t *testing.T) {
	m := New()
	m.Handler()
	body := scrape(t, m)
	if !strings.Contains(body, "promhttp_metric_handler_requests_total") {
		t.Error("the handler's own request counter is missing")
	}
}

func TestArticleFetch(t *testing.T) {
	m := New()
	// Every result is there from the start, at zero.
	if n := testutil.CollectAndCount(m.articles); n != len(articleResults) {
		t.Errorf("%d article series at start, want %d", n, len(articleResults))
	}
	m.ArticleFetch("ok")
	m.ArticleFetch("ok")
	m.ArticleFetch("robots")
	m.ArticleFetch("")                            // no page asked for
	m.ArticleFetch("dial tcp 10.0.0.1: no route") // not a result
	for result, want := range map[string]float64{"ok": 2, "robots": 1, "other": 1, "timeout": 0} {
		if got := testutil.ToFloat64(m.articles.WithLabelValues(result)); got != want {
			t.Errorf("article_fetches_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.articles); n != len(articleResults) {
		t.Errorf("%d article series, want %d: a bad result made a series", n, len(articleResults))
	}
}

// feedValue is the value of the series of name for feed (and result, for
// vigie_fetches_total); the test fails when there is no such series.
func feedValue(t *testing.T, m *Metrics, name, feed string, result ...string) float64 {
	t.Helper()
	for _, mt := range gathered(t, m, name) {
		labels := map[string]string{}
		for _, l := range mt.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["feed"] != feed || (len(result) > 0 && labels["result"] != result[0]) {
			continue
		}
		if c := mt.GetCounter(); c != nil {
			return c.GetValue()
		}
		return mt.GetGauge().GetValue()
	}
	t.Fatalf("no %s{feed=%q} %v", name, feed, result)
	return 0
}

// feedSeriesCount is the number of series of name.
func feedSeriesCount(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	return len(gathered(t, m, name))
}

func gathered(t *testing.T, m *Metrics, name string) []*dto.Metric {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()
		}
	}
	return nil
}
