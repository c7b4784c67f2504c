package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzHeaders checks that the intervals read from response headers are never
// negative and never above MaxWait.
func FuzzHeaders(f *testing.F) {
	for _, s := range [][2]string{
		{"120", "max-age=60"}, {"Wed, 21 Oct 2037 07:28:00 GMT", "no-cache"}, {"-1", "max-age=99999999999999999999"},
		{"", `public, max-age="30", s-maxage=10`}, {"1e9", "max-age=0x10"},
	} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, retry, cacheControl string) {
		h := http.Header{}
		h.Set("Retry-After", retry)
		h.Set("Cache-Control", cacheControl)
		for _, d := range []time.Duration{retryAfter(retry, now), maxAge([]string{cacheControl}), nextAfter(h, now)} {
			if d < 0 || d > MaxWait {
				t.Fatalf("interval %v from %q, %q", d, retry, cacheControl)
			}
		}
	})
}

// FuzzReadBody checks that no body and content coding makes readBody panic
// or return more than the limit.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("<rss/>"), "")
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, "gzip")
	f.Add([]byte{0x78, 0x9c, 3, 0}, "deflate")
	f.Add([]byte{0x0b, 0x02, 0x80}, "br")
	f.Add([]byte("x"), "gzip, br")
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, body []byte, coding string) {
		out, err := readBody(bytes.NewReader(body), coding, limit)
		if err != nil {
			if out != nil {
				t.Fatal("a body with an error")
			}
			if len(body) > limit && coding == "" && !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("oversized identity body: %v", err)
			}
			return
		}
		if len(out) > limit {
			t.Fatalf("%d bytes over a limit of %d", len(out), limit)
		}
		if coding == "" && !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) && !bytes.Equal(out, body) {
			t.Fatal("identity body changed")
		}
	})
}
