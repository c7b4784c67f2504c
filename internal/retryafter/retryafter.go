// Package retryafter reads the HTTP Retry-After header, the one way a
// server asks a client to wait (RFC 9110, 10.2.3): the feeds Vigie reads and
// the receivers it notifies both send it.
package retryafter

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse reads a Retry-After value, delay-seconds or an HTTP date, as a
// delay from now of at most limit: 0 when v is empty, unreadable or in the
// past, limit when it asks for longer (a number of seconds too large for an
// int64 included).
func Parse(v string, now time.Time, limit time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" || limit <= 0 {
		return 0
	}
	var d time.Duration
	if n, ok := Seconds(v); ok {
		if n <= 0 {
			return 0
		}
		if n > int64(limit/time.Second) {
			return limit
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), limit)
}

// Seconds reads a whole number of seconds as HTTP headers write them
// (Retry-After, Cache-Control max-age). A number too large for an int64 is
// the largest one, not a mistake: the caller caps it.
func Seconds(v string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return math.MaxInt64, !strings.HasPrefix(v, "-")
	}
	return n, err == nil
}
