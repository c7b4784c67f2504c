// Package schedule is Vigie's fetch policy: whether a feed is due when a
// job for it comes, and, from the outcome of a fetch, when it is fetched
// next. It does no I/O: the daemon reads and stores the state and carries
// out what the policy says.
//
// The policy, in short: a feed is fetched on its ticks (its cron schedule);
// a failing feed backs off exponentially (FeedBackoff); a source that asks
// for an interval (Retry-After, Cache-Control max-age, RSS ttl or the
// syndication module's update period) is not fetched sooner, and a feed
// that lists skipHours or skipDays is not fetched during them. No wait is
// longer than MaxInterval, so that no feed is ever forgotten.
package schedule

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/vigie-news/vigie/internal/backoff"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/retryafter"
)

const (
	// MaxInterval caps what a source may ask (Retry-After, max-age, ttl)
	// and a failing feed's backoff, so that a misconfigured feed is slowed
	// down but never forgotten.
	MaxInterval = 24 * time.Hour
	// DueTolerance lets a tick that comes a little before a feed's
	// NextFetch still fetch, so that a source's interval equal to the
	// schedule does not skip every other tick.
	DueTolerance = 10 * time.Second
	// ClockSkew is how far ahead of the clock a stored LastFetch may be
	// and still be believed: instances' clocks differ by a little, and a
	// clock set back by less only delays the feed by as much. Further
	// ahead, the clock went back since (or another instance's is badly
	// wrong), and the stored times say nothing of when the feed may be
	// fetched: it is fetched once, and its times are this clock's again.
	ClockSkew = 10 * time.Minute
)

// FeedBackoff spaces the fetches of a failing feed: from a minute after the
// first failure, doubling up to six hours.
var FeedBackoff = backoff.Exponential{Base: time.Minute, Cap: 6 * time.Hour}

// State is what the policy remembers of a feed from one fetch to the next.
type State struct {
	// Failures counts the fetches that failed in a row.
	Failures int
	// LastFetch is when the last fetch began.
	LastFetch time.Time
	// NextFetch is the earliest time the feed may be fetched again.
	NextFetch time.Time
	// Interval is what the last document read asked for between fetches
	// (ttl, sy:updatePeriod): it holds for the 304 answers after it.
	Interval time.Duration
	// Skip is the hours and days the last document read asked not to be
	// fetched in.
	Skip Skip
}

// Trigger is why a fetch is asked for.
type Trigger struct {
	// Tick is the scheduled time the job was enqueued for; zero if none.
	Tick time.Time
	// Now marks a fetch asked for at start or after a change of the feed:
	// it is done whatever tick was served last and, after a change (Start
	// unset), whatever the feed's wait.
	Now bool
	// Start marks the fetch at start: it waits for the feed's stored
	// backoff and for what its source asked, so that a restart neither
	// fetches everything at once nor calls a server that asked to be left
	// alone.
	Start bool
	// Retry marks a job handed over again after an attempt that failed for
	// Vigie's own reasons (NATS out of reach, an instance that died).
	Retry bool
}

// Verdict is what Due says of a job.
type Verdict int

const (
	// Fetch: fetch the feed now.
	Fetch Verdict = iota
	// Served: a fetch begun after the job's tick has stored its state.
	Served
	// NotDue: the feed waits (backoff, what its source asked, a skipped
	// hour or day).
	NotDue
)

// String names a verdict for logs.
func (v Verdict) String() string {
	switch v {
	case Fetch:
		return "fetch"
	case Served:
		return "served"
	case NotDue:
		return "not due"
	}
	return "unknown"
}

// Due says whether a job for a feed in state st fetches it at now.
func Due(st State, t Trigger, now time.Time) Verdict {
	if st.LastFetch.After(now.Add(ClockSkew)) {
		// The clock went back since the last fetch: its times cannot be
		// compared with this clock's. One fetch puts them back on it.
		return Fetch
	}
	// A tick is served once a fetch that began after it has stored its
	// state. Not for a retry: the failed attempt may have read items that
	// the stored fetch, begun earlier but finished later, did not see.
	if !t.Now && !t.Retry && !t.Tick.IsZero() && t.Tick.Before(st.LastFetch) {
		return Served
	}
	if t.Now && !t.Start {
		return Fetch
	}
	if now.Add(DueTolerance).Before(st.NextFetch) && !st.NextFetch.After(latest(st, now)) {
		return NotDue
	}
	if st.Skip.Skips(now) {
		return NotDue
	}
	return Fetch
}

// NextTick is the first tick of a feed's schedule, next or one after it,
// on which a feed in state st is fetched: ticks before its NextFetch (by
// more than DueTolerance) and ticks in skipped hours or days are passed
// over. after gives the tick that follows a tick; a zero next is returned
// as it is.
func NextTick(st State, next time.Time, after func(time.Time) time.Time) time.Time {
	for i := 0; i < 10000 && !next.IsZero() && (next.Add(DueTolerance).Before(st.NextFetch) || st.Skip.Skips(next)); i++ {
		next = after(next)
	}
	return next
}

// latest is the furthest NextFetch that Next can set for a fetch begun by
// now: one further is not believed.
func latest(st State, now time.Time) time.Time {
	return st.Skip.After(now.Add(MaxInterval))
}

// Outcome is what a fetch gave.
type Outcome struct {
	// Time is when the fetch began.
	Time time.Time
	// Tick is the scheduled time of the job, zero if none; Period the time
	// between the feed's ticks, 0 if unknown.
	Tick   time.Time
	Period time.Duration
	// Status and Header are the server's answer; 0 and nil when there was
	// none (a network error, a timeout).
	Status int
	Header http.Header
	// Err is the fetch's failure (wrapping a *fetch.StatusError for an
	// HTTP status), nil for a 2xx or a 304.
	Err error
	// Document is what the document read asked of its readers; nil when
	// none was read (a 304, a failure).
	Document *Document
	// Damaged is set when only the part of the document before a break
	// could be read: the rest must be read at the next tick, whatever the
	// document asked.
	Damaged bool
}

// Document is what a feed document asks of its readers.
type Document struct {
	// Interval is the time to wait between fetches (RSS ttl, sy:update*).
	Interval time.Duration
	// Skip is the hours and days not to fetch in (RSS skipHours, skipDays).
	Skip Skip
}

// Policy decides the next fetch of a feed. The zero value is ready to use.
type Policy struct {
	// Rand draws the jitter of backoffs (values in [0,1)); nil is
	// math/rand/v2.
	Rand func() float64
}

// Next returns the state of a feed in state st after a fetch with outcome o;
// its NextFetch is when the feed may be fetched again.
func (p Policy) Next(st State, o Outcome) State {
	st.LastFetch = o.Time
	var se *fetch.StatusError
	switch {
	case errors.As(o.Err, &se) && se.Deferred:
		// Not this feed's failure: its host asked every client to wait,
		// and no request was sent. Come back when it says, with no backoff.
		st.NextFetch = st.Skip.After(o.Time.Add(min(se.RetryAfter, MaxInterval)))
	case o.Err != nil:
		st.Failures++
		wait := FeedBackoff.Delay(st.Failures, p.rand())
		wait = max(wait, retryafter.Parse(o.Header.Get("Retry-After"), o.Time, MaxInterval))
		st.NextFetch = st.Skip.After(o.Time.Add(min(wait, MaxInterval)))
	default:
		st.Failures = 0
		if o.Document != nil {
			st.Interval, st.Skip = min(max(o.Document.Interval, 0), MaxInterval), o.Document.Skip
		}
		interval := max(st.Interval, Asked(o.Header, o.Time))
		if o.Damaged {
			interval = 0
		}
		// An interval no longer than the feed's schedule runs from the
		// tick, not from when the fetch could start: a fetch that waited
		// for its host must not push the feed past its next tick when the
		// two are the same. A longer one runs from the fetch, so that the
		// source is never fetched more often than it asks by more than
		// that wait.
		from := o.Time
		if !o.Tick.IsZero() && o.Tick.Before(o.Time) && interval <= o.Period {
			from = o.Tick
		}
		st.NextFetch = st.Skip.After(from.Add(interval))
	}
	return st
}

func (p Policy) rand() func() float64 {
	if p.Rand == nil {
		return rand.Float64
	}
	return p.Rand
}

// Asked is the interval a successful answer's headers ask for: the larger
// of Retry-After and Cache-Control max-age, at most MaxInterval.
func Asked(h http.Header, now time.Time) time.Duration {
	return max(retryafter.Parse(h.Get("Retry-After"), now, MaxInterval), maxAge(h.Values("Cache-Control")))
}

// maxAge returns Cache-Control max-age, at most MaxInterval (0 with
// no-cache or no-store).
func maxAge(values []string) time.Duration {
	var d time.Duration
	for _, v := range values {
		for dir := range strings.SplitSeq(v, ",") {
			dir = strings.ToLower(strings.TrimSpace(dir))
			switch {
			case dir == "no-cache" || dir == "no-store":
				return 0
			case strings.HasPrefix(dir, "max-age="):
				n, ok := retryafter.Seconds(strings.Trim(dir[len("max-age="):], `"`))
				if !ok || n <= 0 {
					continue
				}
				if n > int64(MaxInterval/time.Second) {
					d = MaxInterval
				} else {
					d = time.Duration(n) * time.Second
				}
			}
		}
	}
	return d
}
