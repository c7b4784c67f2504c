package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// vigieBin is the binary built once for every test of the package.
var vigieBin string

// binary returns vigieBin. It also reads the module's sources, once: go
// test caches a package's result by what its tests read, and cannot see
// what the go build in TestMain read, so that without this a change to
// the daemon would leave a cached pass standing.
func binary(t testing.TB) string {
	t.Helper()
	sourcesOnce.Do(func() {
		root, err := ModuleRoot()
		if err == nil {
			err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				switch {
				case err != nil:
					return err
				case d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" && path != root):
					return filepath.SkipDir
				case d.IsDir():
					return nil
				}
				if ext := filepath.Ext(path); ext == ".go" || ext == ".yaml" || d.Name() == "go.mod" || d.Name() == "go.sum" {
					_, err = os.ReadFile(path)
				}
				return err
			})
		}
		sourcesErr = err
	})
	if sourcesErr != nil {
		t.Fatalf("read the module's sources: %v", sourcesErr)
	}
	return vigieBin
}

var (
	sourcesOnce sync.Once
	sourcesErr  error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv("VIGIE_BIN"); bin != "" {
		vigieBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "vigie-cluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := ModuleRoot()
	if err == nil {
		vigieBin, err = Build(root, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// longRuns gates the scenarios that take minutes: VIGIE_CLUSTER_LONG=1.
func longRuns(t *testing.T) {
	t.Helper()
	if os.Getenv("VIGIE_CLUSTER_LONG") == "" {
		t.Skip("set VIGIE_CLUSTER_LONG=1 to run the long cluster scenarios")
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
}

// setup is the shape of a scenario: a farm, its feeds, NATS and instances.
type setup struct {
	Good      int           // good feeds
	Hosts     int           // loopback hosts of the farm
	Instances int           // vigie processes
	Cluster   bool          // three-node NATS cluster (else one instance's embedded server)
	Workers   int           // per instance
	Delay     time.Duration // added to each good response
	Window    int           // items a good feed serves
	Schedule  string        // the daemon's schedule; default "@every 2s"
	// AckWait is the instances' fetch.job_ack_wait (default 15s); negative
	// keeps the daemon's own.
	AckWait time.Duration
	// HookDelay holds each webhook delivery at the receiver this long.
	HookDelay time.Duration
	// Slack adds a route to a Slack channel (a bot token's, per item) for
	// the same alerts; SlackDelay holds each post there this long.
	Slack      bool
	SlackDelay time.Duration
}

// env is a running scenario.
type env struct {
	t        *testing.T
	dir      string
	farm     *Farm
	cluster  *Cluster
	inst     []*Instance
	natsURL  string
	nc       *nats.Conn
	js       jetstream.JetStream
	feeds    []string
	ackWait  time.Duration
	adding   bool
	addMu    sync.Mutex
	addEvery int
	tick     *Ticker
	recv     *Receiver
	slack    *SlackChannel // nil: no Slack route
	notified notified
	period   time.Duration // of the daemon's schedule and the cycles
	started  time.Time     // when the first instance was started
}

// notified sums up the deliveries for the report: the webhook route's, and
// the Slack route's posts and the alerts posted more than once there.
type notified struct{ total, repeats, slackTotal, slackRepeats int }

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), ackWait: 15 * time.Second, addEvery: 2}
	if s.AckWait != 0 {
		e.ackWait = s.AckWait
	}
	if s.Schedule == "" {
		s.Schedule = "@every 2s"
	}
	farm, err := NewFarm(max(s.Hosts, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(farm.Close)
	farm.Delay = s.Delay
	if s.Window > 0 {
		farm.Window = s.Window
	}
	e.farm = farm
	e.recv = NewReceiver()
	e.recv.Delay = s.HookDelay
	t.Cleanup(e.recv.Close)
	if s.Slack {
		e.slack = NewSlackChannel(t)
		e.slack.Delay = s.SlackDelay
	}
	var feeds []FeedConfig
	for i := range s.Good {
		id := fmt.Sprintf("good-%04d", i)
		url, err := farm.AddFeed(id, Good)
		if err != nil {
			t.Fatal(err)
		}
		feeds = append(feeds, FeedConfig{ID: id, URL: url})
	}
	for _, k := range FaultyKinds {
		id := string(k)
		url, err := farm.AddFeed(id, k)
		if err != nil {
			t.Fatal(err)
		}
		fc := FeedConfig{ID: id, URL: url}
		if k == Timeout {
			fc.Timeout = 2 * time.Second
		}
		feeds = append(feeds, fc)
	}
	for _, f := range feeds {
		e.feeds = append(e.feeds, f.ID)
	}
	farm.AddItems(1, 1, 0, 3)

	if s.Cluster {
		c, err := NewCluster(filepath.Join(e.dir, "nats"), 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Stop)
		e.cluster = c
		e.natsURL = c.URLs()
	}
	listen := ""
	if !s.Cluster {
		listen = freeAddr(t)
		e.natsURL = "nats://" + listen
	}
	for i := range s.Instances {
		name := string(rune('a' + i))
		cfg := Config{Name: name, HTTP: freeAddr(t), Workers: s.Workers, Schedule: s.Schedule, Feeds: feeds, Webhook: e.recv.URL + "/hook", JobAckWait: max(e.ackWait, 0)}
		if e.slack != nil {
			cfg.SlackAPI = e.slack.URL
		}
		if s.Cluster {
			cfg.NATSURL, cfg.Replicas = e.natsURL, 3
		} else {
			cfg.Listen = listen
		}
		in, err := NewInstance(binary(t), filepath.Join(e.dir, "vigie-"+name), cfg)
		if err != nil {
			t.Fatal(err)
		}
		e.inst = append(e.inst, in)
	}
	t.Cleanup(func() {
		for _, in := range e.inst {
			in.Kill()
		}
		if t.Failed() {
			for _, in := range e.inst {
				t.Logf("log of instance %s: %s", in.Name, in.LogPath())
				keepLog(t, in)
			}
		}
	})
	// All instances start at once, as a deployment does: on a fresh cluster
	// they race to create the same replicated streams.
	e.started = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(e.inst))
	for i, in := range e.inst {
		wg.Go(func() { errs[i] = in.Start(90 * time.Second) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	e.nc, e.js, err = Connect(e.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.nc.Close)
	return e
}

// keepLog copies the tail of an instance's log to the test output, and the
// whole log to $VIGIE_ARTIFACTS when it is set.
func keepLog(t *testing.T, in *Instance) {
	data, err := os.ReadFile(in.LogPath())
	if err != nil {
		return
	}
	if dir := os.Getenv("VIGIE_ARTIFACTS"); dir != "" {
		name := fmt.Sprintf("%s-%d-vigie-%s.log", t.Name(), time.Now().UnixNano(), in.Name)
		if err := os.MkdirAll(dir, 0o755); err == nil {
			path := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
			if os.WriteFile(path, data, 0o644) == nil {
				t.Logf("whole log of instance %s: %s", in.Name, path)
			}
		}
	}
	if len(data) > 8000 {
		data = data[len(data)-8000:]
	}
	t.Logf("tail of %s:\n%s", in.LogPath(), data)
}

// startTicks starts the harness's cycles, in step with the daemon's
// "@every" schedule: while adding is on, each cycle adds items to half of
// the good feeds (alternating halves). The jobs come from the daemon's own
// schedule.
func (e *env) startTicks(period time.Duration) {
	e.adding = true
	e.period = period
	e.tick = StartTicker(period, func(n int) {
		e.addMu.Lock()
		defer e.addMu.Unlock()
		if e.adding {
			e.farm.AddItems(1, e.addEvery, n%e.addEvery, 3)
		}
	})
}

func (e *env) stopAdding() {
	e.addMu.Lock()
	e.adding = false
	e.addMu.Unlock()
}

// waitTicks waits until n more cycles went by.
func (e *env) waitTicks(n int64, timeout time.Duration) {
	e.t.Helper()
	target := e.tick.Ticks.Load() + n
	deadline := time.Now().Add(timeout)
	for e.tick.Ticks.Load() < target {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d cycles not done within %s", n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// matchingBefore lists the keys of the matching items added so far.
func (e *env) matchingBefore() map[string]bool {
	keys := map[string]bool{}
	for _, it := range e.farm.Items() {
		if it.Matching {
			keys[it.Key] = true
		}
	}
	return keys
}

// waitAlerts waits until every key is in VIGIE_ALERTS and returns how long
// that took.
func (e *env) waitAlerts(keys map[string]bool, timeout time.Duration) time.Duration {
	e.t.Helper()
	begin := time.Now()
	missing := len(keys)
	for time.Since(begin) < timeout {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := ReadStream(ctx, e.js, alertsStream)
		cancel()
		if err == nil {
			missing = 0
			for k := range keys {
				if c.PerKey[k] == 0 {
					missing++
				}
			}
			if missing == 0 {
				return time.Since(begin)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	e.t.Errorf("%d of %d alerts still missing after %s", missing, len(keys), timeout)
	return timeout
}

// settle stops adding items, waits until every item was served, stops the
// cycles and waits until every job enqueued so far was acknowledged.
func (e *env) settle(timeout time.Duration) {
	e.t.Helper()
	e.stopAdding()
	deadline := time.Now().Add(timeout)
	if e.tick != nil {
		e.waitTicks(2, timeout)
	}
	for e.farm.Unserved() > 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d items never served within %s", e.farm.Unserved(), timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if e.tick != nil {
		e.tick.Stop()
	}
	// The schedule keeps adding jobs: wait for those enqueued so far.
	var last uint64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		seq, err := LastJob(ctx, e.js)
		cancel()
		if err == nil {
			last = seq
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("work queue: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		done, err := JobsDoneUpTo(ctx, e.js, last)
		cancel()
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("jobs up to %d still queued or in flight after %s", last, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// check compares the streams with the farm: every matching item served is
// in VIGIE_ALERTS exactly once, every item served in VIGIE_ITEMS exactly
// once; it returns the alert result for the report.
func (e *env) check() Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	items := e.farm.Items()
	ac, err := ReadStream(ctx, e.js, alertsStream)
	if err != nil {
		e.t.Fatalf("read %s: %v", alertsStream, err)
	}
	ic, err := ReadStream(ctx, e.js, itemsStream)
	if err != nil {
		e.t.Fatalf("read %s: %v", itemsStream, err)
	}
	ar := Compare(alertsStream, items, ac, func(it Item) bool { return it.Matching })
	ir := Compare(itemsStream, items, ic, func(Item) bool { return true })
	e.t.Log(ar)
	e.t.Log(ir)
	if ar.Expected == 0 {
		e.t.Error("no alert expected: the farm served no matching item")
	}
	if len(ar.Missing) > 0 || ar.Duplicates > 0 || ar.Unexpected > 0 {
		e.t.Errorf("alerts not exactly once: %s; first missing: %v", ar, head(ar.Missing, 10))
	}
	// Faulty feeds may publish what they could parse (a truncated item):
	// those do not trace back to a farm item and are not counted here.
	if len(ir.Missing) > 0 || ir.Duplicates > 0 {
		e.t.Errorf("items not exactly once: %s; first missing: %v", ir, head(ir.Missing, 10))
	}
	e.checkNotified(ar)
	return ar
}

// checkNotified waits until the webhook route, and the Slack route when
// there is one, received every expected alert, and reports repeats: a
// webhook delivery whose acknowledgement was lost in a fault is delivered
// again with the same webhook-id, which the receiver recognises; two
// deliveries with different ids would be two alerts. A Slack message has
// no such id: an alert posted twice there is a duplicate the channel shows.
func (e *env) checkNotified(ar Result) {
	e.t.Helper()
	expected := map[string]bool{}
	for _, it := range e.farm.Items() {
		if it.Served && it.Matching {
			expected[it.Key] = true
		}
	}
	begin := time.Now()
	var total, repeats int
	perKey := e.waitDelivered("webhook route", expected, begin, func() map[string]int {
		var pk map[string]int
		pk, total, repeats = e.recv.Deliveries()
		return pk
	})
	extra := overDelivered(e.t, "webhook route", expected, perKey)
	e.t.Logf("webhook route: %d deliveries for %d alerts, %d repeats of a webhook-id already delivered (waited %s for them after the check)",
		total, len(expected), repeats, time.Since(begin).Round(time.Millisecond))
	if extra > repeats {
		e.t.Errorf("webhook route: %d extra deliveries, only %d with a webhook-id already delivered", extra, repeats)
	}
	e.notified = notified{total: total, repeats: repeats}
	if e.slack == nil {
		return
	}
	var posts int
	perKey = e.waitDelivered("slack route", expected, begin, func() map[string]int {
		var pk map[string]int
		pk, posts = e.slack.Deliveries()
		return pk
	})
	extra = overDelivered(e.t, "slack route", expected, perKey)
	if posts != e.slack.Calls("chat.postMessage") {
		e.t.Errorf("slack route: %d messages in the channel for %d chat.postMessage calls", posts, e.slack.Calls("chat.postMessage"))
	}
	if n := e.slack.Calls("chat.update"); n > 0 {
		e.t.Errorf("slack route: %d chat.update calls on a route that notifies per item", n)
	}
	e.t.Logf("slack route: %d messages for %d alerts, %d alerts posted more than once", posts, len(expected), extra)
	if extra > 0 {
		e.t.Errorf("slack route: %d messages repeat an alert already posted", extra)
	}
	e.notified.slackTotal, e.notified.slackRepeats = posts, extra
}

// waitDelivered polls deliveries (per farm item key) until every expected
// key is there, for up to 90 s after begin, and returns the last count.
func (e *env) waitDelivered(route string, expected map[string]bool, begin time.Time, deliveries func() map[string]int) map[string]int {
	e.t.Helper()
	deadline := begin.Add(90 * time.Second)
	for {
		perKey := deliveries()
		missing := 0
		for k := range expected {
			if perKey[k] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return perKey
		}
		if time.Now().After(deadline) {
			e.t.Errorf("%s: %d of %d alerts never delivered", route, missing, len(expected))
			return perKey
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// overDelivered counts the deliveries beyond one per expected key, and
// reports those for keys that are not expected alerts.
func overDelivered(t *testing.T, route string, expected map[string]bool, perKey map[string]int) (extra int) {
	t.Helper()
	unexpected := 0
	for k, n := range perKey {
		if !expected[k] {
			unexpected += n
		}
		extra += n - 1
	}
	if unexpected > 0 {
		t.Errorf("%s: %d deliveries for items that are not expected alerts", route, unexpected)
	}
	return extra
}

func head(s []string, n int) []string { return s[:min(n, len(s))] }

// checkHealth checks that every running instance is healthy, and logs its
// memory and goroutines; rssLimit bounds the resident memory.
func (e *env) checkHealth(rssLimit int64) {
	e.t.Helper()
	for _, in := range e.inst {
		if !in.Alive() {
			continue
		}
		if !in.Healthy() {
			e.t.Errorf("instance %s: /healthz not 200", in.Name)
		}
		u, err := in.Usage()
		if err != nil {
			e.t.Errorf("instance %s: %v", in.Name, err)
			continue
		}
		g := in.Metric("go_goroutines")
		e.t.Logf("instance %s: rss %d MiB, cpu %s, goroutines %.0f", in.Name, u.RSS>>20, u.CPU.Round(time.Millisecond), g)
		if u.RSS > rssLimit {
			e.t.Errorf("instance %s: rss %d MiB, over %d MiB", in.Name, u.RSS>>20, rssLimit>>20)
		}
	}
	e.checkFeedStates()
	minS, maxS, gap := e.farm.GoodStats()
	e.t.Logf("good feeds: %d to %d complete responses each, longest gap %s; requests by instance %v",
		minS, maxS, gap.Round(time.Millisecond), e.farm.Requests())
	for _, id := range e.farm.Feeds("") {
		if n := e.farm.FeedRequests(id); n == 0 {
			e.t.Errorf("feed %s was never fetched", id)
		}
	}
}

// requeued counts, per feed, the jobs the instances put back after an error
// (their "job requeued" log lines): each is fetched again.
func (e *env) requeued() map[string]int {
	out := map[string]int{}
	for _, in := range e.inst {
		data, err := os.ReadFile(in.LogPath())
		if err != nil {
			continue
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if !bytes.Contains(line, []byte(`"job requeued"`)) {
				continue
			}
			var rec struct {
				Feed string `json:"feed"`
			}
			if json.Unmarshal(line, &rec) == nil {
				out[rec.Feed]++
			}
		}
	}
	return out
}

// feedState is the part of a feed's entry in vigie_feeds the checks read.
type feedState struct {
	LastStatus int    `json:"last_status"`
	LastError  string `json:"last_error"`
	Failures   int    `json:"consecutive_failures"`
}

// checkFeedStates reads vigie_feeds: every faulty source is recorded as
// failing (the truncated document may parse, and the entity bomb may be
// read without expanding its entities), and no good feed is.
func (e *env) checkFeedStates() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kv, err := e.js.KeyValue(ctx, "vigie_feeds")
	if err != nil {
		e.t.Fatalf("kv vigie_feeds: %v", err)
	}
	get := func(id string) (feedState, error) {
		var st feedState
		entry, err := kv.Get(ctx, id)
		if err != nil {
			return st, err
		}
		return st, json.Unmarshal(entry.Value(), &st)
	}
	for _, k := range FaultyKinds {
		st, err := get(string(k))
		if err != nil {
			e.t.Errorf("feed %s: no state: %v", k, err)
			continue
		}
		e.t.Logf("feed %s: status %d, %d failures, %q", k, st.LastStatus, st.Failures, st.LastError)
		switch {
		case k == EntityBomb && st.Failures == 0:
			// A parser that does not expand entities reads the bomb as a
			// small feed: then what it published must be small.
			e.checkDefused(ctx, string(k))
		case k != TruncatedXML && (st.Failures == 0 || st.LastError == ""):
			e.t.Errorf("feed %s is not recorded as failing: %+v", k, st)
		}
	}
	failing := 0
	for _, id := range e.farm.Feeds(Good) {
		st, err := get(id)
		if err != nil {
			e.t.Errorf("feed %s: no state: %v", id, err)
			continue
		}
		if st.Failures > 0 {
			failing++
			if failing <= 3 {
				e.t.Errorf("good feed %s recorded as failing: %+v", id, st)
			}
		}
	}
	if failing > 3 {
		e.t.Errorf("%d good feeds recorded as failing", failing)
	}
}

// checkDefused checks that the items a feed published, if any, are small.
func (e *env) checkDefused(ctx context.Context, feed string) {
	e.t.Helper()
	s, err := e.js.Stream(ctx, itemsStream)
	if err != nil {
		e.t.Errorf("stream %s: %v", itemsStream, err)
		return
	}
	for _, lang := range []string{"en", "fr", "und"} {
		m, err := s.GetLastMsgForSubject(ctx, "news.item."+lang+"."+feed)
		if err != nil {
			continue
		}
		e.t.Logf("feed %s published an item of %d bytes", feed, len(m.Data))
		if len(m.Data) > 64<<10 {
			e.t.Errorf("feed %s published an item of %d bytes: entities were expanded", feed, len(m.Data))
		}
	}
}

// leaderOf returns the index of the node that leads a consumer.
func (e *env) leaderOf(stream, consumer string) int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name, err := ConsumerLeader(ctx, e.js, stream, consumer)
	if err != nil {
		e.t.Fatal(err)
	}
	var i int
	if _, err := fmt.Sscanf(name, "n%d", &i); err != nil || i < 1 || i > e.cluster.Size() {
		e.t.Fatalf("consumer %s is led by %q, not a node of the cluster", consumer, name)
	}
	return i - 1
}
