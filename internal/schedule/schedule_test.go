package schedule

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/fetch"
)

// t0 is a Wednesday, 10:30 UTC.
var t0 = time.Date(2026, 5, 6, 10, 30, 0, 0, time.UTC)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// statusErr is the error of a fetch answered with status and h, as the
// fetcher wraps it.
func statusErr(status int, h http.Header) error {
	return fmt.Errorf("fetch x: %w", &fetch.StatusError{Status: status, Header: h})
}

func TestNext(t *testing.T) {
	skip := ParseSkip([]string{"11", "12"}, nil)
	weekend := ParseSkip(nil, []string{"Saturday", "sunday"})
	tests := []struct {
		name string
		st   State
		o    Outcome
		// rnd is the backoff's jitter draw.
		rnd  float64
		want State
	}{
		{
			name: "200, nothing asked: the next tick",
			st:   State{NextFetch: t0},
			o:    Outcome{Time: t0, Status: 200},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "200 after failures: the backoff ends",
			st:   State{Failures: 4, NextFetch: t0.Add(-time.Minute)},
			o:    Outcome{Time: t0, Status: 200},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "304, nothing asked",
			o:    Outcome{Time: t0, Status: 304},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "304 keeps the ttl of the last document",
			st:   State{Interval: 20 * time.Minute},
			o:    Outcome{Time: t0, Status: 304},
			want: State{LastFetch: t0, NextFetch: t0.Add(20 * time.Minute), Interval: 20 * time.Minute},
		},
		{
			name: "304 with max-age",
			o:    Outcome{Time: t0, Status: 304, Header: header("Cache-Control", "public, max-age=600")},
			want: State{LastFetch: t0, NextFetch: t0.Add(10 * time.Minute)},
		},
		{
			name: "ttl of the document",
			o:    Outcome{Time: t0, Status: 200, Document: &Document{Interval: 20 * time.Minute}},
			want: State{LastFetch: t0, NextFetch: t0.Add(20 * time.Minute), Interval: 20 * time.Minute},
		},
		{
			name: "a document without ttl forgets the last one's",
			st:   State{Interval: time.Hour},
			o:    Outcome{Time: t0, Status: 200, Document: &Document{}},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "ttl absurdly long",
			o:    Outcome{Time: t0, Status: 200, Document: &Document{Interval: 1000 * time.Hour}},
			want: State{LastFetch: t0, NextFetch: t0.Add(MaxInterval), Interval: MaxInterval},
		},
		{
			name: "max-age larger than ttl",
			o:    Outcome{Time: t0, Status: 200, Header: header("Cache-Control", "max-age=3600"), Document: &Document{Interval: 20 * time.Minute}},
			want: State{LastFetch: t0, NextFetch: t0.Add(time.Hour), Interval: 20 * time.Minute},
		},
		{
			name: "max-age with no-cache",
			o:    Outcome{Time: t0, Status: 200, Header: header("Cache-Control", "max-age=600, no-cache")},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "max-age absurdly long",
			o:    Outcome{Time: t0, Status: 200, Header: header("Cache-Control", "max-age=99999999999999999999")},
			want: State{LastFetch: t0, NextFetch: t0.Add(MaxInterval)},
		},
		{
			name: "Retry-After on a 200 larger than max-age",
			o:    Outcome{Time: t0, Status: 200, Header: header("Cache-Control", "max-age=60", "Retry-After", "300")},
			want: State{LastFetch: t0, NextFetch: t0.Add(5 * time.Minute)},
		},
		{
			name: "interval no longer than the schedule runs from the tick",
			o:    Outcome{Time: t0, Tick: t0.Add(-40 * time.Second), Period: 10 * time.Minute, Status: 200, Header: header("Cache-Control", "max-age=600")},
			want: State{LastFetch: t0, NextFetch: t0.Add(-40 * time.Second).Add(10 * time.Minute)},
		},
		{
			name: "interval longer than the schedule runs from the fetch",
			o:    Outcome{Time: t0, Tick: t0.Add(-40 * time.Second), Period: 10 * time.Minute, Status: 200, Header: header("Cache-Control", "max-age=3600")},
			want: State{LastFetch: t0, NextFetch: t0.Add(time.Hour)},
		},
		{
			name: "damaged document: the next tick, whatever it asked",
			o:    Outcome{Time: t0, Status: 200, Header: header("Cache-Control", "max-age=3600"), Document: &Document{Interval: time.Hour}, Damaged: true},
			want: State{LastFetch: t0, NextFetch: t0, Interval: time.Hour},
		},
		{
			name: "429 + Retry-After in seconds",
			o:    Outcome{Time: t0, Status: 429, Header: header("Retry-After", "120"), Err: statusErr(429, header("Retry-After", "120"))},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(2 * time.Minute)},
		},
		{
			name: "429 + Retry-After as an HTTP date",
			o:    Outcome{Time: t0, Status: 429, Header: header("Retry-After", t0.Add(2*time.Hour).Format(http.TimeFormat)), Err: statusErr(429, nil)},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(2 * time.Hour)},
		},
		{
			name: "503 + Retry-After",
			st:   State{Failures: 2},
			o:    Outcome{Time: t0, Status: 503, Header: header("Retry-After", "3600"), Err: statusErr(503, nil)},
			want: State{Failures: 3, LastFetch: t0, NextFetch: t0.Add(time.Hour)},
		},
		{
			name: "Retry-After shorter than the backoff: the backoff",
			st:   State{Failures: 5},
			o:    Outcome{Time: t0, Status: 503, Header: header("Retry-After", "10"), Err: statusErr(503, nil)},
			want: State{Failures: 6, LastFetch: t0, NextFetch: t0.Add(16 * time.Minute)},
		},
		{
			name: "Retry-After in the past: the backoff",
			o:    Outcome{Time: t0, Status: 429, Header: header("Retry-After", t0.Add(-time.Hour).Format(http.TimeFormat)), Err: statusErr(429, nil)},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(30 * time.Second)},
		},
		{
			name: "Retry-After absurdly far: a day",
			o:    Outcome{Time: t0, Status: 503, Header: header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"), Err: statusErr(503, nil)},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(MaxInterval)},
		},
		{
			name: "Retry-After of 20 digits: a day",
			o:    Outcome{Time: t0, Status: 429, Header: header("Retry-After", "99999999999999999999"), Err: statusErr(429, nil)},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(MaxInterval)},
		},
		{
			name: "500, first failure, most jitter",
			rnd:  0.5,
			o:    Outcome{Time: t0, Status: 500, Err: statusErr(500, nil)},
			want: State{Failures: 1, LastFetch: t0, NextFetch: t0.Add(45 * time.Second)},
		},
		{
			name: "network error: backoff, no status",
			st:   State{Failures: 1, Interval: time.Hour},
			o:    Outcome{Time: t0, Err: fmt.Errorf("fetch x: %w: connection refused", fetch.ErrNetwork)},
			want: State{Failures: 2, LastFetch: t0, NextFetch: t0.Add(time.Minute), Interval: time.Hour},
		},
		{
			name: "host deferred the fetch: its wait, no backoff",
			st:   State{Failures: 0},
			o:    Outcome{Time: t0, Err: fmt.Errorf("fetch x: %w", &fetch.StatusError{Status: 429, RetryAfter: 5 * time.Minute, Deferred: true})},
			want: State{LastFetch: t0, NextFetch: t0.Add(5 * time.Minute)},
		},
		{
			name: "skipHours push the next fetch past them",
			o:    Outcome{Time: t0, Status: 200, Document: &Document{Interval: 45 * time.Minute, Skip: skip}},
			want: State{LastFetch: t0, NextFetch: time.Date(2026, 5, 6, 13, 0, 0, 0, time.UTC), Interval: 45 * time.Minute, Skip: skip},
		},
		{
			name: "skipHours of the last document hold for a 304",
			st:   State{Skip: skip},
			o:    Outcome{Time: t0.Add(30 * time.Minute), Status: 304},
			want: State{LastFetch: t0.Add(30 * time.Minute), NextFetch: time.Date(2026, 5, 6, 13, 0, 0, 0, time.UTC), Skip: skip},
		},
		{
			name: "skipHours hold for a backoff",
			st:   State{Skip: skip},
			o:    Outcome{Time: t0.Add(29*time.Minute + 45*time.Second), Status: 500, Err: statusErr(500, nil)},
			want: State{Failures: 1, LastFetch: t0.Add(29*time.Minute + 45*time.Second), NextFetch: time.Date(2026, 5, 6, 13, 0, 0, 0, time.UTC), Skip: skip},
		},
		{
			name: "skipDays: Friday night to Monday",
			o:    Outcome{Time: time.Date(2026, 5, 8, 23, 50, 0, 0, time.UTC), Status: 200, Document: &Document{Interval: 30 * time.Minute, Skip: weekend}},
			want: State{LastFetch: time.Date(2026, 5, 8, 23, 50, 0, 0, time.UTC), NextFetch: time.Date(2026, 5, 11, 0, 0, 0, 0, time.UTC), Interval: 30 * time.Minute, Skip: weekend},
		},
		{
			name: "every hour skipped is no skip",
			o:    Outcome{Time: t0, Status: 200, Document: &Document{Skip: Skip{Hours: allHours}}},
			want: State{LastFetch: t0, NextFetch: t0, Skip: Skip{Hours: allHours}},
		},
		{
			name: "clock jumped back since the last fetch: times from this clock",
			st:   State{LastFetch: t0.Add(5 * time.Hour), NextFetch: t0.Add(6 * time.Hour)},
			o:    Outcome{Time: t0, Status: 200},
			want: State{LastFetch: t0, NextFetch: t0},
		},
		{
			name: "clock jumped forward: the wait counts from now",
			st:   State{Failures: 1, LastFetch: t0.Add(-72 * time.Hour), NextFetch: t0.Add(-71 * time.Hour)},
			o:    Outcome{Time: t0, Status: 500, Err: statusErr(500, nil)},
			want: State{Failures: 2, LastFetch: t0, NextFetch: t0.Add(time.Minute)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Rand: func() float64 { return tt.rnd }}
			got := p.Next(tt.st, tt.o)
			if got != tt.want {
				t.Errorf("Next(%+v)\n got %+v\nwant %+v", tt.st, got, tt.want)
			}
		})
	}
}

// TestBackoffStreak follows a feed that fails again and again: the wait
// doubles from 30 s (no jitter drawn) and stops at half the six-hour cap,
// and the first success ends it.
func TestBackoffStreak(t *testing.T) {
	p := Policy{Rand: func() float64 { return 0 }}
	var st State
	now := t0
	var waits []time.Duration
	for range 12 {
		st = p.Next(st, Outcome{Time: now, Status: 502, Err: statusErr(502, nil)})
		waits = append(waits, st.NextFetch.Sub(now))
		now = st.NextFetch
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 64 * time.Minute, 128 * time.Minute, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v\nwant  %v", waits, want)
	}
	if st.Failures != 12 {
		t.Errorf("%d failures, want 12", st.Failures)
	}
	hi := Policy{Rand: func() float64 { return 0.999999 }}.Next(st, Outcome{Time: now, Err: fetch.ErrTimeout})
	if w := hi.NextFetch.Sub(now); w > FeedBackoff.Cap || w < FeedBackoff.Cap-time.Minute {
		t.Errorf("wait at the cap with most jitter %v, want just under %v", w, FeedBackoff.Cap)
	}
	st = p.Next(st, Outcome{Time: now, Status: 200})
	if st.Failures != 0 || !st.NextFetch.Equal(now) {
		t.Errorf("after a success: %+v, want no failure and the next tick", st)
	}
}

func TestDue(t *testing.T) {
	tick := t0.Add(-time.Minute)
	skip := ParseSkip([]string{"10"}, nil) // t0 is 10:30 UTC
	tests := []struct {
		name string
		st   State
		tr   Trigger
		want Verdict
	}{
		{"new feed", State{}, Trigger{Tick: tick}, Fetch},
		{"tick served by a later fetch", State{LastFetch: t0.Add(-30 * time.Second)}, Trigger{Tick: tick}, Served},
		{"tick after the last fetch", State{LastFetch: tick.Add(-time.Minute)}, Trigger{Tick: tick}, Fetch},
		{"a retry of a served tick fetches", State{LastFetch: t0.Add(-30 * time.Second)}, Trigger{Tick: tick, Retry: true}, Fetch},
		{"a fetch asked for now is never served", State{LastFetch: t0.Add(-30 * time.Second)}, Trigger{Tick: tick, Now: true}, Fetch},
		{"backing off", State{Failures: 3, LastFetch: t0.Add(-time.Minute), NextFetch: t0.Add(time.Hour)}, Trigger{Tick: t0}, NotDue},
		{"a tick a little early", State{NextFetch: t0.Add(5 * time.Second)}, Trigger{Tick: t0}, Fetch},
		{"wait over", State{NextFetch: t0.Add(-time.Second)}, Trigger{Tick: t0}, Fetch},
		{"at start, the stored wait holds", State{NextFetch: t0.Add(time.Hour)}, Trigger{Tick: t0, Now: true, Start: true}, NotDue},
		{"after a change of the feed, no wait", State{NextFetch: t0.Add(time.Hour)}, Trigger{Tick: t0, Now: true}, Fetch},
		{"in a skipped hour", State{Skip: skip}, Trigger{Tick: t0}, NotDue},
		{"in a skipped day", State{Skip: ParseSkip(nil, []string{"Wednesday"})}, Trigger{Tick: t0}, NotDue},
		{"at start in a skipped hour", State{Skip: skip}, Trigger{Tick: t0, Now: true, Start: true}, NotDue},
		{"a change of the feed in a skipped hour", State{Skip: skip}, Trigger{Tick: t0, Now: true}, Fetch},
		{"a wait that skipped days explain", State{Skip: ParseSkip(nil, []string{"Thursday", "Friday"}), NextFetch: time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)}, Trigger{Tick: t0}, NotDue},
		{"instances' clocks a little apart", State{LastFetch: t0.Add(20 * time.Second), NextFetch: t0.Add(time.Hour)}, Trigger{Tick: t0}, Served},
		{"clock set back a little: the stored wait holds", State{Failures: 1, LastFetch: t0.Add(5 * time.Minute), NextFetch: t0.Add(time.Hour)}, Trigger{Tick: t0.Add(6 * time.Minute)}, NotDue},
		{"clock jumped back: stored times not believed", State{Failures: 2, LastFetch: t0.Add(3 * time.Hour), NextFetch: t0.Add(4 * time.Hour)}, Trigger{Tick: t0}, Fetch},
		{"clock jumped forward: the wait is over", State{Failures: 2, LastFetch: t0.Add(-50 * time.Hour), NextFetch: t0.Add(-49 * time.Hour)}, Trigger{Tick: t0}, Fetch},
		{"a stored wait longer than any the policy sets", State{LastFetch: t0.Add(-time.Hour), NextFetch: t0.AddDate(1, 0, 0)}, Trigger{Tick: t0}, Fetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.st, tt.tr, t0); got != tt.want {
				t.Errorf("Due(%+v, %+v) = %v, want %v", tt.st, tt.tr, got, tt.want)
			}
		})
	}
}

func TestParseSkip(t *testing.T) {
	s := ParseSkip([]string{"0", " 7 ", "24", "25", "x", "-1"}, []string{"Monday", "SUNDAY", "Funday", " saturday"})
	want := Skip{Hours: 1<<0 | 1<<7, Days: 1<<time.Monday | 1<<time.Sunday | 1<<time.Saturday}
	if s != want {
		t.Errorf("ParseSkip = %+v, want %+v", s, want)
	}
	if !(Skip{}).IsZero() || s.IsZero() {
		t.Error("IsZero")
	}
}

func TestMaxAge(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", nil, 0},
		{"max-age", header("Cache-Control", "public, max-age=600"), 10 * time.Minute},
		{"quoted", header("Cache-Control", `max-age="60"`), time.Minute},
		{"no-store wins", header("Cache-Control", "no-store", "Cache-Control", "max-age=600"), 0},
		{"negative", header("Cache-Control", "max-age=-5"), 0},
		{"capped", header("Cache-Control", "max-age=31536000"), MaxInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Asked(tt.h, t0); got != tt.want {
				t.Errorf("Asked(%v) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
}

// FuzzAsked checks that the interval read from response headers is never
// negative and never above MaxInterval.
func FuzzAsked(f *testing.F) {
	for _, s := range [][2]string{
		{"120", "max-age=60"}, {"Wed, 21 Oct 2037 07:28:00 GMT", "no-cache"}, {"-1", "max-age=99999999999999999999"},
		{"", `public, max-age="30", s-maxage=10`}, {"1e9", "max-age=0x10"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, retry, cacheControl string) {
		h := header("Retry-After", retry, "Cache-Control", cacheControl)
		if d := Asked(h, t0); d < 0 || d > MaxInterval {
			t.Fatalf("interval %v from %q, %q", d, retry, cacheControl)
		}
	})
}

func TestNextTick(t *testing.T) {
	quarter := func(t time.Time) time.Time { return t.Truncate(15 * time.Minute).Add(15 * time.Minute) }
	first := time.Date(2026, 5, 6, 10, 45, 0, 0, time.UTC) // Wednesday
	tests := []struct {
		name string
		st   State
		want time.Time
	}{
		{"nothing waits", State{}, first},
		{"a tick a little early is on time", State{NextFetch: first.Add(5 * time.Second)}, first},
		{"a backoff passes ticks over", State{NextFetch: first.Add(40 * time.Minute)}, time.Date(2026, 5, 6, 11, 30, 0, 0, time.UTC)},
		{"skipped hours", State{Skip: ParseSkip([]string{"10", "11"}, nil)}, time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC)},
		{"skipped days", State{Skip: ParseSkip(nil, []string{"Wednesday", "Thursday"})}, time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextTick(tt.st, first, quarter); !got.Equal(tt.want) {
				t.Errorf("NextTick = %v, want %v", got, tt.want)
			}
		})
	}
	if got := NextTick(State{NextFetch: first.Add(time.Hour)}, time.Time{}, quarter); !got.IsZero() {
		t.Errorf("no tick: %v", got)
	}
}
