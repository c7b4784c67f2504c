package status

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/schedule"
)

// MaxAlerts is the most alerts one call of Alerts returns.
const MaxAlerts = 500

// stored is a feed's state as the daemon keeps it in the vigie_feeds
// bucket (daemon.FeedState): the fields this package reads.
type stored struct {
	LastFetch   time.Time     `json:"last_fetch"`
	LastSuccess time.Time     `json:"last_success"`
	LastStatus  int           `json:"last_status"`
	LastError   string        `json:"last_error"`
	ErrorKind   string        `json:"error_kind"`
	Failures    int           `json:"consecutive_failures"`
	NextFetch   time.Time     `json:"next_fetch"`
	Skip        schedule.Skip `json:"skip"`
	LastNewItem time.Time     `json:"last_new_item"`
	Lang        string        `json:"lang"`
	Hours       Hours         `json:"hours"`
}

// Options configure a Reader.
type Options struct {
	// Config returns the configuration in force: the feeds to show, and
	// the routes whose deliveries are pending.
	Config func() *config.Config
	// Now is the clock; nil is time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Reader reads Vigie's state from NATS. Used once, it asks NATS for every
// call; with Watch running, it keeps the feed states in memory and answers
// Feeds and Activity from there.
type Reader struct {
	js jetstream.JetStream
	o  Options

	mu     sync.Mutex
	live   bool
	states map[string]stored
}

// NewReader returns a Reader of the streams and buckets js sees.
func NewReader(js jetstream.JetStream, o Options) *Reader {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Reader{js: js, o: o}
}

// Watch follows the vigie_feeds bucket until ctx ends, keeping every
// feed's state in memory, and starts over after an error.
func (r *Reader) Watch(ctx context.Context) {
	last := ""
	for {
		err := r.follow(ctx)
		r.mu.Lock()
		r.live, r.states = false, nil
		r.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if text := fmt.Sprint(err); text != last {
			r.o.Logger.Warn("status: watch of feed states stopped, restarting", "error", text)
			last = text
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (r *Reader) follow(ctx context.Context) error {
	kv, err := r.js.KeyValue(ctx, broker.FeedsBucket)
	if err != nil {
		return fmt.Errorf("kv %s: %w", broker.FeedsBucket, err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", broker.FeedsBucket, err)
	}
	defer func() { _ = w.Stop() }()
	states := map[string]stored{}
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok = <-w.Updates():
		}
		if !ok {
			return errors.New("watch ended")
		}
		r.mu.Lock()
		switch {
		case e == nil: // every state there was is in: serve from memory
			r.live, r.states = true, states
		case e.Operation() == jetstream.KeyValuePut:
			var st stored
			if json.Unmarshal(e.Value(), &st) == nil {
				states[e.Key()] = st
			}
		default:
			delete(states, e.Key())
		}
		r.mu.Unlock()
	}
}

// Live reports whether Watch holds every feed's state in memory.
func (r *Reader) Live() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live
}

// withStates calls fn with every feed's state: those in memory when Watch
// has them, else those read from the bucket now.
func (r *Reader) withStates(ctx context.Context, fn func(map[string]stored)) error {
	r.mu.Lock()
	if r.live {
		defer r.mu.Unlock()
		fn(r.states)
		return nil
	}
	r.mu.Unlock()
	states, err := r.readStates(ctx)
	if err != nil {
		return err
	}
	fn(states)
	return nil
}

func (r *Reader) readStates(ctx context.Context) (map[string]stored, error) {
	kv, err := r.js.KeyValue(ctx, broker.FeedsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kv %s: %w", broker.FeedsBucket, err)
	}
	states := map[string]stored{}
	err = broker.ReadCurrent(ctx, kv, nil, func(e jetstream.KeyValueEntry) {
		var st stored
		if json.Unmarshal(e.Value(), &st) == nil {
			states[e.Key()] = st
		}
	})
	if err != nil {
		return nil, err
	}
	return states, nil
}

// Feeds returns every feed of the configuration with its state: failing
// feeds first, then those backing off, those not read yet, and the rest,
// each group by id.
func (r *Reader) Feeds(ctx context.Context) ([]Feed, error) {
	cfg := r.o.Config()
	now := r.o.Now()
	out := make([]Feed, 0, len(cfg.Feeds))
	err := r.withStates(ctx, func(states map[string]stored) {
		for _, f := range cfg.Feeds {
			st, ok := states[f.ID]
			out = append(out, feedOf(f, st, ok, now))
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Feed) int {
		return cmp.Or(cmp.Compare(stateRank(a.State), stateRank(b.State)), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func feedOf(f config.Feed, st stored, known bool, now time.Time) Feed {
	fd := Feed{ID: f.ID, Title: f.Title, URL: redact.URL(f.URL), Lang: st.Lang}
	if u, err := url.Parse(f.URL); err == nil {
		fd.Host = u.Hostname()
	}
	from := now.UTC().Truncate(time.Hour).Add(-23 * time.Hour)
	fd.Items24h, fd.Alerts24h, fd.Errors24h = st.Hours.since(from)
	if lang := mostItems(st.Hours); lang != "" {
		fd.Lang = lang
	}
	next := nextTick(f.Schedule, now)
	if !known || st.LastFetch.IsZero() {
		fd.State = StateNotRead
		fd.NextFetch = timePtr(next)
		return fd
	}
	fd.LastFetch = timePtr(st.LastFetch)
	fd.LastSuccess = timePtr(st.LastSuccess)
	fd.LastNewItem = timePtr(st.LastNewItem)
	fd.LastStatus, fd.Failures = st.LastStatus, st.Failures
	// The next fetch is the first tick that the backoff, the interval
	// the source asked for and its skipped hours let through.
	next = schedule.NextTick(schedule.State{NextFetch: st.NextFetch, Skip: st.Skip}, next, func(t time.Time) time.Time { return nextTick(f.Schedule, t) })
	fd.NextFetch = timePtr(next)
	switch {
	case st.Failures == 0:
		fd.State = StateOK
		if st.LastError != "" { // a damaged feed, read up to the damage
			fd.LastError, fd.ErrorDetail = "damaged: read up to the damage", st.LastError
		}
	default:
		fd.State = StateFailing
		// Backing off: the wait after the failure is longer than the
		// schedule's own interval, so that ticks are skipped.
		tick := nextTick(f.Schedule, st.LastFetch)
		if period := nextTick(f.Schedule, tick).Sub(tick); !tick.IsZero() && st.NextFetch.Sub(st.LastFetch) > period {
			fd.State = StateBackingOff
		}
		fd.LastError, fd.ErrorDetail = errorWords(st.ErrorKind, st.LastStatus, st.LastError), st.LastError
	}
	return fd
}

// nextTick is the first tick of a feed's schedule after t, the way the
// daemon schedules it (@every ticks fall on multiples of the period); zero
// for a schedule that does not parse.
func nextTick(spec string, t time.Time) time.Time {
	s, err := config.ParseSchedule(spec)
	if err != nil {
		return time.Time{}
	}
	if every, ok := s.(cron.ConstantDelaySchedule); ok {
		return t.Truncate(every.Delay).Add(every.Delay)
	}
	return s.Next(t)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// mostItems is the language of most items over the hours, "" when none.
func mostItems(h Hours) string {
	totals := map[string]int{}
	for _, x := range h {
		for l, n := range x.Items {
			totals[l] += n
		}
	}
	best := ""
	for l, n := range totals {
		if n > totals[best] || n == totals[best] && l < best {
			best = l
		}
	}
	return best
}

// Activity sums the hourly counts of the configured feeds over the Window
// that ends with the current hour.
func (r *Reader) Activity(ctx context.Context) (*Activity, error) {
	cfg := r.o.Config()
	hours := int(Window / time.Hour)
	start := r.o.Now().UTC().Truncate(time.Hour).Add(-Window + time.Hour)
	a := &Activity{Start: start, Hours: hours, Langs: []string{}, Items: map[string][]int{}, Alerts: map[string][]int{}, Errors: make([]int, hours)}
	add := func(m map[string][]int, lang string, i, n int) {
		if m[lang] == nil {
			m[lang] = make([]int, hours)
		}
		m[lang][i] += n
	}
	err := r.withStates(ctx, func(states map[string]stored) {
		for _, f := range cfg.Feeds {
			for _, h := range states[f.ID].Hours {
				i := int(h.Start.Sub(start) / time.Hour)
				if i < 0 || i >= hours {
					continue
				}
				for l, n := range h.Items {
					add(a.Items, l, i, n)
				}
				for l, n := range h.Alerts {
					add(a.Alerts, l, i, n)
				}
				a.Errors[i] += h.Errors
			}
		}
	})
	if err != nil {
		return nil, err
	}
	totals := map[string]int{}
	for l, counts := range a.Items {
		for _, n := range counts {
			totals[l] += n
		}
	}
	for l := range a.Alerts {
		if _, ok := totals[l]; !ok {
			totals[l] = 0
		}
	}
	for l := range totals {
		a.Langs = append(a.Langs, l)
	}
	slices.SortFunc(a.Langs, func(x, y string) int { return cmp.Or(cmp.Compare(totals[y], totals[x]), cmp.Compare(x, y)) })
	return a, nil
}

// Alerts returns the last limit alerts of VIGIE_ALERTS (at most
// MaxAlerts), newest first, each with its deliveries.
func (r *Reader) Alerts(ctx context.Context, limit int) ([]Alert, error) {
	limit = min(max(limit, 1), MaxAlerts)
	s, err := r.js.Stream(ctx, broker.AlertsStream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", broker.AlertsStream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", broker.AlertsStream, err)
	}
	out := []Alert{}
	if info.State.Msgs == 0 {
		return out, nil
	}
	// Alerts are read one by one from the newest: no consumer is left
	// behind on the server, whatever the number of readers.
	// Gaps (deleted alerts) are passed over, up to a bound.
	tries := 4 * limit
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < limit && tries > 0; seq, tries = seq-1, tries-1 {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", broker.AlertsStream, err)
		}
		a := Alert{Seq: m.Sequence, Stored: m.Time.UTC(), Payload: withoutText(m.Data), Deliveries: []Delivery{}}
		if json.Unmarshal(m.Data, &a.Alert) == nil {
			out = append(out, a)
		}
	}
	return out, r.addDeliveries(ctx, out)
}

// addDeliveries gives each alert the outcome of every route that tried
// it, and "pending" for the configured routes that want it and have not
// tried it yet.
func (r *Reader) addDeliveries(ctx context.Context, alerts []Alert) error {
	ids := make([]string, len(alerts))
	for i := range alerts {
		ids[i] = alerts[i].Alert.AlertID()
	}
	noted, err := notify.Deliveries(ctx, r.js, ids)
	if err != nil {
		return err
	}
	// A route is waiting for an alert stored after its consumer was
	// created and not acknowledged yet.
	type consumer struct {
		route   config.Route
		created time.Time
		floor   uint64
	}
	var consumers []consumer
	var order []string
	for _, rt := range r.o.Config().Notify {
		order = append(order, rt.Name)
		c, err := r.js.Consumer(ctx, broker.AlertsStream, notify.ConsumerName(rt.Name))
		if err != nil {
			continue // not started yet: nothing is pending on it
		}
		info := c.CachedInfo()
		consumers = append(consumers, consumer{rt, info.Created, info.AckFloor.Stream})
	}
	for i := range alerts {
		a := &alerts[i]
		for route, d := range noted[ids[i]] {
			a.Deliveries = append(a.Deliveries, Delivery{Route: route, Delivery: d})
		}
		for _, c := range consumers {
			if _, ok := noted[ids[i]][c.route.Name]; ok || a.Seq <= c.floor || a.Stored.Before(c.created) || !notify.Matches(c.route.Match, &a.Alert) {
				continue
			}
			a.Deliveries = append(a.Deliveries, Delivery{Route: c.route.Name, Delivery: notify.Delivery{State: notify.DeliveryPending}})
		}
		// Routes in configuration order, then those no longer configured.
		slices.SortFunc(a.Deliveries, func(x, y Delivery) int {
			xi, yi := slices.Index(order, x.Route), slices.Index(order, y.Route)
			if xi < 0 {
				xi = len(order)
			}
			if yi < 0 {
				yi = len(order)
			}
			return cmp.Or(cmp.Compare(xi, yi), cmp.Compare(x.Route, y.Route))
		})
	}
	return nil
}

// withoutText is an alert payload without its "text", the whole text that
// was classified (tens of kilobytes for a full article): the page shows
// the summary, and a page of alerts stays small.
func withoutText(data []byte) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return json.RawMessage(data)
	}
	if _, ok := fields["text"]; !ok {
		return json.RawMessage(data)
	}
	delete(fields, "text")
	out, err := json.Marshal(fields)
	if err != nil {
		return json.RawMessage(data)
	}
	return out
}
