package article

import (
	"testing"
	"unicode/utf8"
)

func FuzzExtract(f *testing.F) {
	for _, c := range pageCases(f) {
		f.Add(c.Body, c.ContentType)
	}
	f.Add([]byte("<html><body><div><div><p>a</div></p></body>"), "text/html")
	f.Add([]byte("<p>"+string(make([]byte, 600))+"</p>"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		text, err := Extract(body, contentType, nil)
		if err != nil {
			return
		}
		if text == "" || !utf8.ValidString(text) {
			t.Fatalf("text %q with no error", text)
		}
	})
}

func FuzzParseRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /private/\n"))
	f.Add([]byte("Disallow: /x\nUser-agent: *\nCrawl-delay: 1s\nDisallow: /*.pdf$\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d := parseRobots(body)
		if d == nil {
			t.Fatal("no robots data")
		}
		d.TestAgent("/a/b?c=d", "Vigie")
	})
}
