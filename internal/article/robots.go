package article

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/vigie-news/vigie/internal/fetch"
)

// robotsEntry is a host's robots.txt as last read. Its first reader loads
// it; the others wait for ready.
type robotsEntry struct {
	ready chan struct{}
	// Set before ready is closed:
	data    *robotstxt.RobotsData // nil when err is set
	err     error                 // why no page of the host may be read now
	expires time.Time
	retry   bool // the load was cut short by its caller's context: load again
}

// allowed reports, as an error, whether robots.txt lets Vigie read u: nil,
// ErrDisallowed, or why the robots.txt could not be read. Per RFC 9309, a
// robots.txt that is missing (4xx) allows everything, and one that cannot
// be reached (network, timeout, 5xx, 429) disallows everything until it
// can; either is remembered, RobotsTTL or RetryAfterFailure long.
func (r *Reader) allowed(ctx context.Context, u *url.URL, publicOnly bool, req Request) error {
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for {
		r.mu.Lock()
		e := r.robots[origin]
		if e != nil {
			select {
			case <-e.ready:
				if e.retry || !r.now().Before(e.expires) {
					delete(r.robots, origin)
					e = nil
				}
			default:
			}
		}
		if e == nil {
			e = &robotsEntry{ready: make(chan struct{})}
			prune(r.robots, r.now(), func(e *robotsEntry) time.Time {
				select {
				case <-e.ready:
					return e.expires
				default:
					return r.now().Add(time.Hour) // being loaded: keep
				}
			})
			r.robots[origin] = e
			r.mu.Unlock()
			r.loadRobots(ctx, e, origin, publicOnly, req)
			close(e.ready)
		} else {
			r.mu.Unlock()
			select {
			case <-e.ready:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if e.retry {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		if e.err != nil {
			return e.err
		}
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		if u.RawQuery != "" {
			path += "?" + u.RawQuery
		}
		if !e.data.TestAgent(path, r.agent) {
			return ErrDisallowed
		}
		return nil
	}
}

// loadRobots fetches and parses an origin's robots.txt into e.
func (r *Reader) loadRobots(ctx context.Context, e *robotsEntry, origin string, publicOnly bool, req Request) {
	resp, err := r.f.Fetch(ctx, fetch.Request{
		FeedID:       req.FeedID,
		URL:          origin + "/robots.txt",
		Timeout:      req.Timeout,
		MaxBodyBytes: maxRobotsBytes,
		Page:         true,
		PublicOnly:   publicOnly,
	})
	now := r.now()
	var se *fetch.StatusError
	switch {
	case ctx.Err() != nil, errors.Is(err, fetch.ErrForbiddenAddress):
		// Not the host's answer; and a refusal of its address holds for
		// public feeds only, so it is not remembered for all.
		e.err, e.retry = err, true
		if ctx.Err() == nil {
			e.retry = false
			e.expires = now // used by this caller only
		}
	case err == nil:
		e.data, e.expires = parseRobots(resp.Body), now.Add(RobotsTTL)
	case errors.As(err, &se) && !se.Deferred && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests:
		// No robots.txt: everything is allowed.
		e.data, e.expires = allowAll, now.Add(RobotsTTL)
	default:
		e.err = fmt.Errorf("robots.txt unreachable, the host's pages are not read meanwhile: %w", err)
		e.expires = now.Add(RetryAfterFailure)
	}
}

var allowAll, _ = robotstxt.FromBytes(nil)

// parseRobots parses a robots.txt. The parser rejects a whole file for one
// line it does not accept (a Crawl-delay of "1s", a rule before any
// User-agent); such a file is read again with only its User-agent, Allow
// and Disallow lines, those before the first User-agent dropped, so that
// its rules still hold. A file that still cannot be read disallows
// everything.
func parseRobots(body []byte) *robotstxt.RobotsData {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if d, err := robotstxt.FromBytes(body); err == nil {
		return d
	}
	var kept bytes.Buffer
	seenAgent := false
	for _, line := range bytes.Split(body, []byte("\n")) {
		field, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(string(field))) {
		case "user-agent":
			seenAgent = true
		case "allow", "disallow":
			if !seenAgent {
				continue
			}
		default:
			continue
		}
		kept.Write(line)
		kept.WriteByte('\n')
	}
	if d, err := robotstxt.FromBytes(kept.Bytes()); err == nil {
		return d
	}
	d, _ := robotstxt.FromStatusAndBytes(http.StatusInternalServerError, nil)
	return d
}
