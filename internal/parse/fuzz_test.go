package parse

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
)

// FuzzParse checks that no input makes Parse panic, that every failure is
// classified, and that charset repair always yields UTF-8.
func FuzzParse(f *testing.F) {
	sjis, _ := japanese.ShiftJIS.NewEncoder().String(rssDoc("", "t", japanese1))
	seeds := []struct{ body, contentType string }{
		{rssDoc(`<?xml version="1.0" encoding="utf-8"?>`, "t", french), "application/rss+xml"},
		{sjis, ""},
		{rssDoc(`<?xml version="1.0" encoding="iso-8859-1"?>`, "t", russian), "text/xml; charset=koi8-r"},
		{`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>x</title></entry></feed>`, ""},
		{`{"version":"https://jsonfeed.org/version/1","items":[{"id":"1"}]}`, "application/json"},
		{"<html><body>hi</body></html>", "text/html"},
		{"\xff\xfe<\x00r\x00s\x00s\x00>\x00", ""},
		{`<rss><channel><item><title>cut`, ""},
		{`<rss><channel><item><title>a</title></item><item><title>cut`, ""},
		{"<rss><channel><item><title>a</title></item>\n<item>< </item></channel></rss>", ""},
		{"", ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.contentType)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, _ := ToUTF8(body, contentType)
		if !utf8.Valid(out) {
			t.Fatalf("ToUTF8 returned invalid UTF-8 for %q", body)
		}
		feed, err := Parse(body, contentType, "https://example.org/feed")
		if err != nil {
			if feed != nil {
				t.Fatal("a feed with an error")
			}
			if !errors.Is(err, ErrNotAFeed) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error %v", err)
			}
			if strings.Contains(err.Error(), "parser panic") {
				t.Fatalf("panic: %v", err)
			}
			return
		}
		if feed == nil {
			t.Fatal("no feed and no error")
		}
		if feed.Feed == nil || feed.Interval < 0 || feed.Interval > MaxInterval {
			t.Fatalf("feed %v with an interval of %v", feed.Feed, feed.Interval)
		}
	})
}
