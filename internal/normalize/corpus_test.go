package normalize_test

import (
	"github.com/vigie-news/vigie/internal/sharedtest"

	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// sharedFeeds returns ../shared/data/feeds relative to the repository root,
// or skips the test when it is absent (a user's clone has no ../shared).
func sharedFeeds(t testing.TB) string { return sharedtest.Path(t, "data", "feeds") }

// headerRe finds the HTTP header a corpus file's leading comment says it is
// served with.
var headerRe = regexp.MustCompile(`(?m)^Header:\s*Content-type:\s*(.*?)\s*$`)

// contentType returns the Content-Type to serve a corpus file with: the one
// its comment describes (also in UTF-16, where the comment is), else
// application/xml without a charset.
func contentType(b []byte) string {
	h := b
	if len(h) > 2048 {
		h = h[:2048]
	}
	s := strings.ReplaceAll(string(h), "\x00", "")
	if m := headerRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return "application/xml"
}

type survey struct {
	File  string `json:"file"`
	Parse string `json:"parse"`
	Root  string `json:"root"`
	Items int    `json:"items"`
}

// isFeed reports whether the survey found a well-formed feed.
func (s survey) isFeed() bool {
	return s.Parse == "ok" && (s.Root == "rss" || s.Root == "RDF" || s.Root == "feed")
}

func readSurvey(t *testing.T, path string) map[string]survey {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := make(map[string]survey)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s survey
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		m[s.File] = s
	}
	return m
}

// script returns the script the text of a chardet corpus directory is in.
func script(dir string) (name string, is func(rune) bool) {
	switch dir {
	case "SHIFT_JIS", "EUC-JP", "CP932":
		return "Japanese", func(r rune) bool {
			return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
		}
	case "GB2312", "Big5":
		return "Chinese", func(r rune) bool { return unicode.Is(unicode.Han, r) }
	case "KOI8-R", "windows-1251-russian":
		return "Cyrillic", func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) }
	}
	return "", nil
}

// TestCorpus runs every file of ../shared/data/feeds through fetch, parse and
// normalize over HTTP, and checks that each either yields items or fails with
// a classified error; for feeds/chardet it also checks item counts against
// _survey.jsonl and that the text is in the expected script.
func TestCorpus(t *testing.T) {
	root := sharedFeeds(t)
	surveyed := readSurvey(t, filepath.Join(root, "chardet", "_survey.jsonl"))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType(b))
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	f := fetch.New(fetch.Options{HostGap: -1, PerHost: 8, Timeout: 10 * time.Second})
	fetched := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() != "_survey.jsonl" {
			rel, _ := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ok, salvaged, failed int
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			url := srv.URL + "/" + rel
			resp, err := f.Fetch(context.Background(), fetch.Request{FeedID: "corpus", URL: url})
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			feed, err := parse.Parse(resp.Body, resp.ContentType, resp.FinalURL)
			sv, inSurvey := surveyed[strings.TrimPrefix(rel, "chardet/")]
			if err != nil {
				failed++
				if !errors.Is(err, parse.ErrNotAFeed) && !errors.Is(err, parse.ErrMalformed) {
					t.Fatalf("unclassified error: %v", err)
				}
				if inSurvey && sv.isFeed() {
					t.Fatalf("survey says it parses with %d items; got %v", sv.Items, err)
				}
				t.Logf("classified failure: %v", err)
				return
			}
			ok++
			if why := feed.Salvaged; why != "" {
				salvaged++
				t.Logf("salvaged: %s", why)
			}
			items := normalize.Items("corpus", feed, resp.FinalURL, fetched)
			ids := make(map[string]bool)
			for _, it := range items {
				if ids[it.ID] {
					t.Errorf("duplicate id %s (%q)", it.ID, it.Title)
				}
				ids[it.ID] = true
				if it.Published.IsZero() || it.Published.After(fetched.Add(normalize.FutureSlack)) {
					t.Errorf("item %q: date %v", it.Title, it.Published)
				}
			}
			if !inSurvey {
				return
			}
			if sv.Parse == "ok" && !sv.isFeed() {
				t.Fatalf("survey says the root is %s, not a feed; got %d items", sv.Root, len(items))
			}
			// Files the survey's strict XML parser rejected have no count;
			// a lenient parse of them is welcome and checked for script.
			if sv.isFeed() && len(items) != sv.Items {
				t.Errorf("%d items, survey says %d", len(items), sv.Items)
			}
			name, is := script(strings.Split(rel, "/")[1])
			var text strings.Builder
			for _, it := range items {
				text.WriteString(it.Title + " " + it.Text + " ")
			}
			var in, letters int
			for _, r := range text.String() {
				if r == '\uFFFD' {
					t.Fatalf("replacement character in the text: %.200q", text.String())
				}
				if r > 0x7F && unicode.IsLetter(r) {
					letters++
					if is(r) {
						in++
					}
				}
			}
			if letters == 0 || in*10 < letters*9 {
				t.Errorf("%d of %d non-ASCII letters are %s: %.200q", in, letters, name, text.String())
			}
		})
	}
	t.Logf("%d files: %d parsed (%d of them salvaged), %d failed with a classified error", len(files), ok, salvaged, failed)
}

// encodingAttr is the encoding pseudo-attribute of an XML declaration.
var encodingAttr = regexp.MustCompile(`^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']`)

// TestCorpusUndeclared strips the declared encoding from every well-formed
// feed of feeds/chardet and checks that the guessed encoding gives the same
// text as the declared one, the survey's item count, and the right script.
func TestCorpusUndeclared(t *testing.T) {
	root := filepath.Join(sharedFeeds(t), "chardet")
	surveyed := readSurvey(t, filepath.Join(root, "_survey.jsonl"))
	fetched := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for rel, sv := range surveyed {
		if !sv.isFeed() {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				t.Fatal(err)
			}
			if !encodingAttr.Match(b) {
				t.Skip("no encoding declared")
			}
			declared, err := parse.Parse(b, "application/xml", "http://example.org/feed")
			if err != nil {
				t.Fatal(err)
			}
			want := normalize.Items("corpus", declared, "http://example.org/feed", fetched)
			b = encodingAttr.ReplaceAll(b, []byte("$1"))
			feed, err := parse.Parse(b, "application/xml", "http://example.org/feed")
			if err != nil {
				t.Fatal(err)
			}
			items := normalize.Items("corpus", feed, "http://example.org/feed", fetched)
			if len(items) != sv.Items || len(items) != len(want) {
				t.Fatalf("%d items, survey says %d", len(items), sv.Items)
			}
			for i := range items {
				if items[i].Title != want[i].Title || items[i].Text != want[i].Text {
					t.Fatalf("item %d differs from the declared reading:\n%.120q\n%.120q", i,
						items[i].Title+" "+items[i].Text, want[i].Title+" "+want[i].Text)
				}
			}
			name, is := script(strings.Split(rel, "/")[0])
			var in, letters, bad int
			for _, it := range items {
				for _, r := range it.Title + " " + it.Text {
					if r == '\uFFFD' {
						bad++
					}
					if r > 0x7F && unicode.IsLetter(r) {
						letters++
						if is(r) {
							in++
						}
					}
				}
			}
			if bad > 0 || letters == 0 || in*10 < letters*9 {
				t.Errorf("%d replacement characters; %d of %d non-ASCII letters are %s", bad, in, letters, name)
			}
		})
	}
}
