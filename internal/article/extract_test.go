package article

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// pageCase is a news page of testdata/pages/<name>: page.html, written in
// UTF-8 and served in Encoding, and expected.json.
type pageCase struct {
	Name        string   `json:"-"`
	ContentType string   `json:"content_type"`
	Encoding    string   `json:"encoding"`
	BOM         bool     `json:"bom"`
	First       string   `json:"first"`
	Last        string   `json:"last"`
	Absent      []string `json:"absent"`
	// Body is page.html in its encoding, as served.
	Body []byte `json:"-"`
}

// pageCases reads testdata/pages.
func pageCases(tb testing.TB) []pageCase {
	tb.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "pages", "*"))
	if err != nil || len(dirs) == 0 {
		tb.Fatalf("no test pages: %v", err)
	}
	var out []pageCase
	for _, dir := range dirs {
		var c pageCase
		data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(data, &c); err != nil {
			tb.Fatalf("%s: %v", dir, err)
		}
		c.Name = filepath.Base(dir)
		page, err := os.ReadFile(filepath.Join(dir, "page.html"))
		if err != nil {
			tb.Fatal(err)
		}
		c.Body = page
		if c.Encoding != "utf-8" {
			enc, _ := charset.Lookup(c.Encoding)
			if enc == nil {
				tb.Fatalf("%s: unknown encoding %q", dir, c.Encoding)
			}
			if c.Body, err = encoding.ReplaceUnsupported(enc.NewEncoder()).Bytes(page); err != nil {
				tb.Fatalf("%s: %v", dir, err)
			}
		}
		if c.BOM {
			c.Body = append([]byte("\xef\xbb\xbf"), c.Body...)
		}
		out = append(out, c)
	}
	return out
}

// checkText checks an extracted text against a case: its first and last
// sentences are there, none of the clutter is.
func checkText(t *testing.T, c pageCase, text string) {
	t.Helper()
	if !strings.Contains(text, c.First) {
		t.Errorf("first sentence missing from %.400q", text)
	}
	if !strings.Contains(text, c.Last) {
		t.Errorf("last sentence missing from …%.400q", text[max(0, len(text)-400):])
	}
	for _, s := range c.Absent {
		if strings.Contains(text, s) {
			t.Errorf("clutter %q in the text", s)
		}
	}
}

func TestExtractNewsPages(t *testing.T) {
	for _, c := range pageCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			u, _ := url.Parse("https://news.example/" + c.Name + "/article.html")
			text, err := Extract(c.Body, c.ContentType, u)
			if err != nil {
				t.Fatal(err)
			}
			if testing.Verbose() {
				t.Logf("%s", text)
			}
			checkText(t, c, text)
		})
	}
}

func TestExtractRefuses(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		want        error
	}{
		{"pdf", "%PDF-1.7\n...", "application/pdf", ErrNotHTML},
		{"image sent as octet-stream", "\x89PNG\r\n\x1a\n....", "application/octet-stream", ErrNotHTML},
		{"json", `{"a":1}`, "application/json", ErrNotHTML},
		{"empty page", "<html><body></body></html>", "text/html", ErrNoText},
		{"too many elements", "<html><body>" + strings.Repeat("<i></i>", MaxElements+10) + "</body></html>", "text/html", ErrTooComplex},
		{"nested too deep", "<html><body>" + strings.Repeat("<div>", 100000) + "<p>deep</p></body></html>", "text/html", ErrTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract([]byte(tt.body), tt.contentType, nil)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
