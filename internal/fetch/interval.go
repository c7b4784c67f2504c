package fetch

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff bounds: the first retry after BackoffBase, doubling up to BackoffCap.
const (
	BackoffBase = time.Minute
	BackoffCap  = 6 * time.Hour
)

// Backoff returns how long to wait before fetching a feed again after
// failures consecutive failures: exponential from BackoffBase, capped at
// BackoffCap, with jitter drawn from rnd (values in [0,1); nil means
// math/rand/v2) over the upper half of the interval so that feeds that fail
// together spread out. It returns 0 when failures <= 0.
func Backoff(failures int, rnd func() float64) time.Duration {
	if failures <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	d := BackoffBase
	for i := 1; i < failures && d < BackoffCap; i++ {
		d *= 2
	}
	d = min(d, BackoffCap)
	j := rnd()
	if j < 0 || j >= 1 || math.IsNaN(j) {
		j = 0
	}
	return d/2 + time.Duration(j*float64(d/2))
}

// nextAfter is the interval the response asks for: the larger of
// Retry-After and Cache-Control max-age, capped at MaxWait.
func nextAfter(h http.Header, now time.Time) time.Duration {
	d := retryAfter(h.Get("Retry-After"), now)
	if m := maxAge(h.Values("Cache-Control")); m > d {
		d = m
	}
	return min(d, MaxWait)
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, ok := seconds(v); ok {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxWait/time.Second) {
			return MaxWait
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxWait)
}

// maxAge returns Cache-Control max-age (0 with no-cache or no-store).
func maxAge(values []string) time.Duration {
	var d time.Duration
	for _, v := range values {
		for _, dir := range strings.Split(v, ",") {
			dir = strings.ToLower(strings.TrimSpace(dir))
			switch {
			case dir == "no-cache" || dir == "no-store":
				return 0
			case strings.HasPrefix(dir, "max-age="):
				n, ok := seconds(strings.Trim(dir[len("max-age="):], `"`))
				if !ok || n <= 0 {
					continue
				}
				if n > int64(MaxWait/time.Second) {
					d = MaxWait
				} else {
					d = time.Duration(n) * time.Second
				}
			}
		}
	}
	return d
}

// seconds reads a number of seconds; a number too large for an int64 is
// the largest one, not a mistake (the caller caps it).
func seconds(v string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return math.MaxInt64, !strings.HasPrefix(v, "-")
	}
	return n, err == nil
}
