package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/daemon"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/status"
)

// chromiumPath finds Chromium: $VIGIE_CHROMIUM, else chromium (Debian's
// package) or a Chrome on PATH. Without one the browser tests skip, except
// under CI=true, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found, and CI=true: install it (apt-get install chromium) or set VIGIE_CHROMIUM")
	}
	t.Skip("no Chromium found (apt-get install chromium, or set VIGIE_CHROMIUM): browser test skipped")
	return ""
}

// browser is a headless Chromium tab that records what its console says.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// The machine may have no network: nothing but the page.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{ctx: ctx}
	// The first call starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s %s %s", m, m.Source, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancelTab(); cancelAlloc(); <-read })
	return b
}

// console returns what the console reported as an error or a warning.
func (b *browser) console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

func (b *browser) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = nil
}

// do runs steps, each step of the test bounded by a minute.
func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v (console: %q)", what, err, b.console())
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v (console: %q)", expr, err, b.console())
	}
	return v
}

// waitFor polls a JavaScript condition in the page.
func waitFor(expr string) chromedp.Action[chromedp.Void] {
	poll := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := poll(ctx, t)
		return chromedp.Void{}, err
	}
}

// artifact writes a file of the test's output where CI keeps it:
// $VIGIE_ARTIFACTS, or vigie-artifacts in the temporary directory.
func artifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := os.Getenv("VIGIE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "vigie-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("artifact: %s", path)
}

// rss is an RSS document with one item per title and text.
func rss(lang string, items ...[2]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test feed</title><link>http://example.org/</link><language>%s</language>`, lang)
	for i, it := range items {
		fmt.Fprintf(&b, "<item><guid>%s-%d</guid><title>%s</title><link>https://news.example/%s/%d</link><description>%s</description><pubDate>%s</pubDate></item>",
			lang, i, html.EscapeString(it[0]), lang, i, html.EscapeString(it[1]), time.Now().Add(-time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

const (
	frTitle = "Les États membres de l'ONU adoptent le rapport du groupe de travail à composition non limitée sur la sécurité des TIC"
	frText  = "Réunis à New York, les États membres des Nations unies ont adopté par consensus le rapport final du groupe de travail à composition non limitée (OEWG) sur la sécurité du numérique et de son utilisation, qui prévoit un mécanisme permanent sur la cybersécurité internationale."
	enTitle = "UN open-ended working group on ICT security adopts its final report"
	enText  = "Member states of the United Nations adopted by consensus the final report of the Open-ended Working Group (OEWG) on security of and in the use of information and communications technologies, which sets up a permanent mechanism on international cybersecurity and norms of responsible state behaviour in cyberspace. Japan and Viet Nam welcomed the outcome."
)

// TestStatusPageInChromium runs the daemon on feeds of its own (two that
// alert, one that answers 503, one that serves HTML) with three webhook
// routes (one that takes, one that refuses for good, one that keeps
// failing), then loads the status page in headless Chromium: every feed is
// listed, the failing ones first with their error in words, the alerts
// with their titles, evidence, entities and deliveries, the three charts
// are drawn, and the console stays clean. It also runs `vigie status`
// against the running daemon.
func TestStatusPageInChromium(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)

	frFeed := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, rss("fr", [2]string{frTitle, frText}, [2]string{"Football : Lyon s'impose à Marseille", "L'Olympique lyonnais a battu Marseille deux buts à un samedi soir."}))
	})
	enFeed := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, rss("en", [2]string{enTitle, enText}))
	})
	down := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	htmlPage := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><html><head><title>Not a feed</title></head><body><p>Welcome to our home page.</p></body></html>")
	})
	siem := serve(t, func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) })
	gone := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	flaky := serve(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusBadGateway) })

	dir := t.TempDir()
	natsAddr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	yaml := fmt.Sprintf(`nats: {listen: "%s"}
data_dir: data
http: {listen: "127.0.0.1:0"}
defaults: {schedule: "@every 1h", fulltext: never}   # loopback only: no article pages
fetch: {host_gap: -1s}
feeds:
  - {id: vna-fr, url: "%s/rss", title: "VietnamPlus (français)", language: fr}
  - {id: un-news, url: "%s/feed?key=secret", title: UN News}
  - {id: broken, url: "%s/rss", title: Broken source}
  - {id: homepage, url: "%s/", title: A home page}
# The two alerts report one event (one story): per: item, so that each
# is delivered, and shown, on its own.
notify:
  - {name: siem, type: webhook, url: "%s/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, per: item}
  - {name: archive, type: webhook, url: "%s/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, per: item}
  - {name: desk, type: webhook, url: "%s/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, per: item}
`, natsAddr, frFeed, enFeed, down, htmlPage, siem, gone, flaky)
	path := filepath.Join(dir, "feeds.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	d := daemon.New(cfg, daemon.Options{Logger: log, Workers: 4, WatchConfig: -1})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("daemon ended before ready: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("daemon not ready after a minute")
	}
	base := "http://" + d.HTTPAddr()

	// The state the page will show: every feed read, both alerts through
	// every route (sent, failed for good, retrying).
	var alerts struct {
		Alerts []status.Alert `json:"alerts"`
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var feeds struct{ Feeds []status.Feed }
		getJSON(t, base+"/api/feeds", &feeds)
		getJSON(t, base+"/api/alerts", &alerts)
		read := 0
		for _, f := range feeds.Feeds {
			if f.State != status.StateNotRead {
				read++
			}
		}
		delivered := 0
		for _, a := range alerts.Alerts {
			states := map[string]string{}
			for _, dl := range a.Deliveries {
				states[dl.Route] = dl.State
			}
			if states["siem"] == "sent" && states["archive"] == "failed" && states["desk"] == "retrying" {
				delivered++
			}
		}
		if read == 4 && len(alerts.Alerts) == 2 && delivered == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d feeds read, %d alerts, %d with their three deliveries", read, len(alerts.Alerts), delivered)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// vigie status shows the same, from the running daemon's NATS.
	var table bytes.Buffer
	err = natsconn.With(context.Background(), cfg, log, func(b *broker.Broker) error {
		return status.Print(context.Background(), b.JS, cfg, status.PrintOptions{Logger: log}, &table)
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	// A header, four feeds, the summary, and the archive route's failed
	// deliveries, kept for vigie failures.
	if len(lines) != 7 || !strings.HasPrefix(lines[1], "broken ") || !strings.Contains(lines[1], "HTTP 503 Service Unavailable") ||
		!strings.HasPrefix(lines[2], "homepage ") || !strings.Contains(lines[2], "parse error: not a feed") ||
		!strings.Contains(table.String(), "4 feeds: 2 failing, 2 ok") || !strings.Contains(lines[6], "failed deliveries kept (archive") {
		t.Errorf("vigie status with the daemon running:\n%s", table.String())
	}

	type row struct{ ID, State, Error, Lang, Items, Alerts string }
	type delivery struct{ Route, State string }
	type shownAlert struct {
		Title, Href, Meta, Evidence string
		Deliveries                  []delivery
	}
	b.do(t, "load the page",
		chromedp.Navigate(base+"/"),
		waitFor(`document.querySelectorAll('#feeds tbody tr[data-feed]').length === 4 && document.querySelectorAll('#alerts li.alert').length === 2 && document.querySelectorAll('#charts canvas').length === 3`),
	)
	rows := eval[[]row](t, b, `Array.from(document.querySelectorAll('#feeds tbody tr')).map(tr => ({
		ID: tr.dataset.feed, State: tr.dataset.state, Error: tr.querySelector('.error').textContent,
		Lang: tr.children[2].textContent, Items: tr.children[7].textContent, Alerts: tr.children[8].textContent}))`)
	shown := eval[[]shownAlert](t, b, `Array.from(document.querySelectorAll('#alerts li.alert')).map(li => ({
		Title: li.querySelector('.alert-title').textContent, Href: li.querySelector('a.alert-title').href,
		Meta: li.querySelector('.alert-meta').textContent, Evidence: li.querySelector('.evidence').textContent,
		Deliveries: Array.from(li.querySelectorAll('.delivery')).map(d => ({Route: d.dataset.route, State: d.textContent}))}))`)
	charts := eval[int](t, b, `document.querySelectorAll('#charts canvas').length`)
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	artifact(t, "status-page.png", shot)

	if len(rows) != 4 {
		t.Fatalf("rows %+v", rows)
	}
	want := []row{
		{ID: "broken", State: "failing", Error: "HTTP 503 Service Unavailable", Lang: "–", Items: "0", Alerts: "0"},
		{ID: "homepage", State: "failing", Error: "parse error: not a feed", Lang: "–", Items: "0", Alerts: "0"},
		{ID: "un-news", State: "ok", Error: "", Lang: "en", Items: "1", Alerts: "1"},
		{ID: "vna-fr", State: "ok", Error: "", Lang: "fr", Items: "2", Alerts: "1"},
	}
	for i, w := range want {
		r := rows[i]
		if r.ID != w.ID || r.State != w.State || !strings.HasPrefix(r.Error, w.Error) || (w.Error == "" && r.Error != "") ||
			r.Lang != w.Lang || r.Items != w.Items || r.Alerts != w.Alerts {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	titles := map[string]shownAlert{}
	for _, a := range shown {
		titles[a.Title] = a
	}
	for title, lang := range map[string]string{frTitle: "fr", enTitle: "en"} {
		a, ok := titles[title]
		if !ok {
			t.Errorf("alert %q not shown; shown: %+v", title, shown)
			continue
		}
		if !strings.HasPrefix(a.Href, "https://news.example/"+lang+"/") {
			t.Errorf("%s: link %q", lang, a.Href)
		}
		for _, s := range []string{lang, "cyber-diplomacy", "score "} {
			if !strings.Contains(a.Meta, s) {
				t.Errorf("%s: meta %q lacks %q", lang, a.Meta, s)
			}
		}
		if !strings.Contains(a.Evidence, "un-processes") || !strings.Contains(a.Evidence, "(title") {
			t.Errorf("%s: evidence %q", lang, a.Evidence)
		}
		got := fmt.Sprint(a.Deliveries)
		if got != "[{siem siem: sent} {archive archive: failed} {desk desk: retrying}]" {
			t.Errorf("%s: deliveries %s", lang, got)
		}
	}
	if a := titles[enTitle]; !strings.Contains(a.Meta, "States: JP, VN") || !strings.Contains(a.Meta, "Bodies: UN") {
		t.Errorf("en: entities not shown in %q", a.Meta)
	}
	if charts != 3 {
		t.Errorf("%d charts drawn, want 3", charts)
	}

	// The filters work on the table in place.
	b.do(t, "filter failing feeds", chromedp.SetValue(chromedp.ID("filter-state"), "failing"))
	failing := eval[int](t, b, `document.getElementById('filter-state').dispatchEvent(new Event('change'));
		document.querySelectorAll('#feeds tbody tr[data-state="failing"]').length === document.querySelectorAll('#feeds tbody tr').length ? document.querySelectorAll('#feeds tbody tr').length : -1`)
	if failing != 2 {
		t.Errorf("filtered on failing: %d rows (-1: others shown too), want 2", failing)
	}
	if c := b.console(); len(c) > 0 {
		t.Errorf("the console reported problems:\n%s", strings.Join(c, "\n"))
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestStatusPageLoginAndPaging loads a page that asks for a token, over
// 1,000 feeds: the login form comes first, a wrong token is refused and
// asked again, the right one shows the first 50 feeds, and the pager and
// the filters move through the rest. The token stays in the tab's session
// storage, never in the page's address.
func TestStatusPageLoginAndPaging(t *testing.T) {
	t.Parallel()
	b := newBrowser(t)
	br := openBroker(t)
	cfg := manyFeeds(t, br, 1000, time.Now())
	publishAlerts(t, br, 60)
	// A feed may carry markup in a title and a script as a link: the page
	// shows them as text and links to nothing.
	hostile := &vigie.Alert{
		Item: vigie.Item{Schema: vigie.AlertSchema, ID: "ffffffffffffffff", Feed: vigie.FeedRef{ID: "feed-0001"},
			Title: `<img src=x onerror="window.pwned=1">Hostile title`, URL: "javascript:window.pwned=2", Lang: "en"},
		Classifier: "cyber-diplomacy", Score: 5,
	}
	if err := br.PublishAlert(context.Background(), hostile); err != nil {
		t.Fatal(err)
	}
	r := status.NewReader(br.JS, status.Options{Config: func() *config.Config { return cfg }})
	// As in the daemon, the reader follows the feed states.
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { defer close(watched); r.Watch(ctx) }()
	t.Cleanup(func() { cancel(); <-watched })
	for deadline := time.Now().Add(30 * time.Second); !r.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the reader never followed the feed states")
		}
	}
	const token = "a-long-enough-token-for-tests-0001"
	base := "http://" + startPage(t, r, token, nil).Addr()

	b.do(t, "sign in with a wrong token",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("token"), "not-the-token-at-all"),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		waitFor(`document.getElementById('login-message').textContent.includes('refused')`),
	)
	message := eval[string](t, b, `document.getElementById('login-message').textContent`)
	// The 401s are the refusal itself, one for each of the page's three
	// requests; they reach the console in their own time. Anything else is
	// a problem.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, p := range b.console() {
			if strings.Contains(p, "401") {
				n++
			}
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d refusals in the console, want 3: %q", n, b.console())
		}
	}
	for _, p := range b.console() {
		if !strings.Contains(p, "401") {
			t.Errorf("console: %s", p)
		}
	}
	b.forget()

	b.do(t, "sign in with the right token",
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[chromedp.Void](`window.t0 = performance.now(); undefined`)(ctx, tg)
			return err
		}),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		waitFor(`document.querySelectorAll('#feeds tbody tr[data-feed]').length > 0 && document.querySelectorAll('#charts canvas').length === 3`),
	)
	rendered := eval[float64](t, b, `performance.now() - window.t0`)
	rows := eval[int](t, b, `document.querySelectorAll('#feeds tbody tr[data-feed]').length`)
	info := eval[string](t, b, `document.getElementById('page-info').textContent`)
	url := eval[string](t, b, `document.location.toString()`)
	stored := eval[string](t, b, `sessionStorage.getItem('vigie.token')`)
	t.Logf("1,000 feeds, 60 alerts and the charts: shown %.0f ms after signing in", rendered)
	if !strings.Contains(message, "refused") {
		t.Errorf("after a wrong token: %q", message)
	}
	if rows != 50 || info != "1–50 of 1000" {
		t.Errorf("first page: %d rows, %q; want 50 of 1000", rows, info)
	}
	if stored != token || strings.Contains(url, token) {
		t.Errorf("token in session storage %q, page address %q", stored, url)
	}
	type shownHostile struct {
		Text         string
		Links, Image int
		Pwned        bool
	}
	h := eval[shownHostile](t, b, `(() => { const li = document.querySelector('li[data-alert="ffffffffffffffff.cyber-diplomacy"]');
		return {Text: li ? li.querySelector('.alert-title').textContent : '', Links: li ? li.querySelectorAll('a').length : -1,
			Image: document.querySelectorAll('#alerts img').length, Pwned: window.pwned !== undefined}; })()`)
	if h.Text != hostile.Title || h.Links != 0 || h.Image != 0 || h.Pwned {
		t.Errorf("hostile alert shown as %+v; want its title as text, no link, no image, no script run", h)
	}

	b.do(t, "page through", chromedp.Click(chromedp.ID("next")))
	info = eval[string](t, b, `document.getElementById('page-info').textContent`)
	first := eval[string](t, b, `document.querySelector('#feeds tbody tr').dataset.feed`)
	last := eval[string](t, b, `for (let i = 0; i < 30; i++) document.getElementById('next').click(); document.querySelector('#feeds tbody tr:last-child').dataset.feed`)
	if info != "51–100 of 1000" || first == "" {
		t.Errorf("second page: %q, first row %q", info, first)
	}
	if last != "feed-0998" {
		t.Errorf("last row of the last page %q, want feed-0998 (ok feeds by id, after the others)", last)
	}
	b.do(t, "filter by language", chromedp.SetValue(chromedp.ID("filter-lang"), "ja"))
	info = eval[string](t, b, `document.getElementById('filter-lang').dispatchEvent(new Event('change')); document.getElementById('page-info').textContent`)
	if info != "1–50 of 100" {
		t.Errorf("feeds in ja: %q, want 1–50 of 100 (one in ten)", info)
	}
	b.do(t, "search", chromedp.SendKeys(chromedp.ID("filter-text"), "feed-0017"))
	info = eval[string](t, b, `document.getElementById('page-info').textContent`)
	if info != "1–1 of 1" {
		t.Errorf("search for feed-0017 in ja: %q", info)
	}
	b.do(t, "sign out",
		chromedp.Click(chromedp.ID("signout")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
	)
	if stored := eval[string](t, b, `sessionStorage.getItem('vigie.token') || ''`); stored != "" {
		t.Errorf("token kept after signing out: %q", stored)
	}
	if c := b.console(); len(c) > 0 {
		t.Errorf("the console reported problems:\n%s", strings.Join(c, "\n"))
	}
}
