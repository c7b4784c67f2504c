package fetch

import (
	"bytes"
	"errors"
	"testing"
)

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
