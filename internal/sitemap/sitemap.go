// Package sitemap reads sitemaps (sitemaps.org, with or without Google's
// news extension) as sources of items: the fresh entries of a urlset, or
// the sitemaps a sitemap index lists, with a streaming XML decoder.
package sitemap

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"

	"github.com/vigie-news/vigie/internal/parse"
)

// Limits of the sitemaps protocol, which Decode keeps to.
const (
	// MaxEntries is the most entries a sitemap or an index may hold.
	MaxEntries = 50000
	// MaxBytes is the most bytes a sitemap may hold, uncompressed; Decode
	// stops reading a gzipped sitemap there.
	MaxBytes = 50 << 20
)

// ErrNotSitemap is a document whose root is neither urlset nor
// sitemapindex.
var ErrNotSitemap = errors.New("not a sitemap")

// Entry is one <url> of a urlset.
type Entry struct {
	URL string
	// Title is news:title, "" without the news extension.
	Title string
	// Published is news:publication_date, else lastmod.
	Published time.Time
	// Lang is news:language (the publication's), "" if none.
	Lang string
	// Keywords are news:keywords, split at commas.
	Keywords []string
	// Publication is news:publication's name, "" if none.
	Publication string
}

// Ref is one <sitemap> of a sitemap index.
type Ref struct {
	URL     string
	LastMod time.Time // zero when the index does not say
}

// Document is what Decode kept of a sitemap.
type Document struct {
	// Index is true for a sitemapindex: Sitemaps is set, Entries empty.
	Index    bool
	Entries  []Entry
	Sitemaps []Ref
	// Seen counts the <url> or <sitemap> elements read.
	Seen int
	// TooOld, Undated and Invalid count the entries left out: published
	// before Options.Since, without a date, without an http(s) URL.
	TooOld, Undated, Invalid int
	// Cut says why the document was not read to its end (too large,
	// damaged, too many entries), or is "".
	Cut string
}

// Options tell Decode which entries to keep.
type Options struct {
	// Since leaves out entries published before it (and the sitemaps of
	// an index last modified before it). Zero keeps every dated entry.
	Since time.Time
	// MaxBytes bounds what Decode reads after decompression (default
	// MaxBytes).
	MaxBytes int64
	// MaxEntries bounds the <url> or <sitemap> elements read (default
	// MaxEntries).
	MaxEntries int
}

// Sniff reports whether head, the start of a document (decompressed), is
// a sitemap: its root element, after the prolog, is urlset or
// sitemapindex.
func Sniff(head []byte) bool {
	name := rootName(head)
	return name == "urlset" || name == "sitemapindex"
}

// rootName is the local name of the first element of head, "" if none is
// found before the prolog ends or something else comes.
func rootName(head []byte) string {
	s := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for {
		s = bytes.TrimLeft(s, " \t\r\n")
		switch {
		case bytes.HasPrefix(s, []byte("<?")):
			i := bytes.Index(s, []byte("?>"))
			if i < 0 {
				return ""
			}
			s = s[i+2:]
		case bytes.HasPrefix(s, []byte("<!--")):
			i := bytes.Index(s, []byte("-->"))
			if i < 0 {
				return ""
			}
			s = s[i+3:]
		case bytes.HasPrefix(s, []byte("<!")):
			i := bytes.IndexByte(s, '>')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case bytes.HasPrefix(s, []byte("<")):
			s = s[1:]
			end := bytes.IndexAny(s, " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := string(s[:end])
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return name
		default:
			return ""
		}
	}
}

// Gunzip returns r decompressed when it starts with gzip's magic bytes
// (a sitemap.xml.gz is known by its bytes, not its name), else r. It reads
// ahead through a buffer: use what it returns from then on.
func Gunzip(r io.Reader) (io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return z, nil
}

// Decode reads a sitemap from r (gzipped or not) as it comes: it keeps the
// entries published since o.Since and counts the others, so that memory
// grows with the entries kept, never with the document. A document cut
// short or damaged keeps the whole entries before the damage and says why
// in Cut; an error means nothing could be read (ErrNotSitemap for another
// document).
func Decode(r io.Reader, o Options) (*Document, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = MaxBytes
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = MaxEntries
	}
	r, err := Gunzip(r)
	if err != nil {
		return nil, err
	}
	lr := &limitReader{r: r, max: o.MaxBytes}
	dec := xml.NewDecoder(lr)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false
	dec.Entity = xml.HTMLEntity

	doc := &Document{}
	var (
		path   []string // local names of the open elements
		text   strings.Builder
		cur    rawEntry
		inText bool
		root   bool // the root element was read
	)
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if !root {
				if errors.Is(err, io.EOF) {
					return nil, fmt.Errorf("%w: no root element", ErrNotSitemap)
				}
				return nil, fmt.Errorf("%w: %w", ErrNotSitemap, err)
			}
			doc.Cut = cutReason(err, lr)
			return doc, nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if len(path) == 0 {
				switch name {
				case "urlset":
				case "sitemapindex":
					doc.Index = true
				default:
					return nil, fmt.Errorf("%w: the root element is <%s>", ErrNotSitemap, name)
				}
				root = true
			}
			path = append(path, name)
			if len(path) == 2 && (name == "url" || name == "sitemap") {
				if doc.Seen >= o.MaxEntries {
					doc.Cut = fmt.Sprintf("more than %d entries: the rest is left out", o.MaxEntries)
					return doc, nil
				}
				doc.Seen++
				cur = rawEntry{}
			}
			text.Reset()
			inText = true
		case xml.CharData:
			if inText && text.Len() < maxField {
				text.Write(t[:min(len(t), maxField-text.Len())])
			}
		case xml.EndElement:
			if len(path) == 0 {
				continue
			}
			cur.set(path, &text)
			text.Reset()
			inText = false
			if len(path) == 2 {
				if doc.Index {
					doc.addRef(cur, o)
				} else {
					doc.addEntry(cur, o)
				}
			}
			path = path[:len(path)-1]
			if len(path) == 0 {
				return doc, nil
			}
		}
	}
}

// cutReason says why a document ended with err before its root closed.
func cutReason(err error, lr *limitReader) string {
	var se *xml.SyntaxError
	switch {
	case lr.over:
		return fmt.Sprintf("larger than %d bytes: read up to there", lr.max)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &se) && se.Msg == "unexpected EOF":
		return "cut short: read up to the end"
	case errors.As(err, &se):
		return fmt.Sprintf("damaged at line %d: read up to the damage (%s)", se.Line, se.Msg)
	default:
		return "read up to a failure: " + err.Error()
	}
}

// maxField bounds the text kept of one element: a URL, a title, keywords.
const maxField = 8 << 10

// rawEntry gathers the fields of one <url> or <sitemap> as they come.
type rawEntry struct {
	loc, lastmod, title, date, lang, keywords, publication string
}

// set records the text of the element that ends at path (urlset/url/...),
// when it is one of those kept.
func (e *rawEntry) set(path []string, text *strings.Builder) {
	if len(path) < 3 {
		return
	}
	var field *string
	switch rel := path[2:]; {
	case len(rel) == 1 && rel[0] == "loc":
		field = &e.loc
	case len(rel) == 1 && rel[0] == "lastmod":
		field = &e.lastmod
	case len(rel) == 2 && rel[0] == "news":
		switch rel[1] {
		case "title":
			field = &e.title
		case "publication_date":
			field = &e.date
		case "keywords":
			field = &e.keywords
		}
	case len(rel) == 3 && rel[0] == "news" && rel[1] == "publication":
		switch rel[2] {
		case "language":
			field = &e.lang
		case "name":
			field = &e.publication
		}
	}
	if field != nil {
		*field = strings.TrimSpace(text.String())
	}
}

func (d *Document) addEntry(e rawEntry, o Options) {
	if !isWebURL(e.loc) {
		d.Invalid++
		return
	}
	date := e.date
	if date == "" {
		date = e.lastmod
	}
	published, ok := ParseDate(date)
	switch {
	case !ok:
		d.Undated++
		return
	case !o.Since.IsZero() && published.Before(o.Since):
		d.TooOld++
		return
	}
	out := Entry{URL: e.loc, Title: e.title, Published: published, Lang: e.lang, Publication: e.publication}
	for _, k := range strings.Split(e.keywords, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out.Keywords = append(out.Keywords, k)
		}
	}
	d.Entries = append(d.Entries, out)
}

func (d *Document) addRef(e rawEntry, o Options) {
	if !isWebURL(e.loc) {
		d.Invalid++
		return
	}
	mod, _ := ParseDate(e.lastmod)
	if !mod.IsZero() && !o.Since.IsZero() && mod.Before(o.Since) {
		d.TooOld++
		return
	}
	d.Sitemaps = append(d.Sitemaps, Ref{URL: e.loc, LastMod: mod})
}

// isWebURL reports whether s is an absolute http(s) URL with a host.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// dateLayouts are the W3C datetime forms sitemaps use, and a few that
// sites write instead.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseDate parses a sitemap date (W3C datetime); a time without a zone is
// taken as UTC.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// limitReader reads at most max bytes, then reports io.ErrUnexpectedEOF
// and remembers that the document went on.
type limitReader struct {
	r    io.Reader
	max  int64
	n    int64
	over bool
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n >= l.max {
		var one [1]byte
		if k, _ := io.ReadFull(l.r, one[:]); k == 0 {
			return 0, io.EOF
		}
		l.over = true
		return 0, io.ErrUnexpectedEOF
	}
	if rest := l.max - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

// Feed turns the entries of d into the parse step's result: one item per
// entry, with its URL as link and GUID, its news:title, its date, its
// news:language as the item's declared language, and its keywords as
// categories and as its text (what there is to classify when its page is
// not read). The publication's name is the feed's title.
func (d *Document) Feed() *parse.Feed {
	f := &parse.Feed{Feed: &gofeed.Feed{FeedType: "sitemap", Items: make([]*gofeed.Item, 0, len(d.Entries))}}
	for _, e := range d.Entries {
		if f.Title == "" {
			f.Title = e.Publication
		}
		published := e.Published
		it := &gofeed.Item{
			Title:           e.Title,
			Link:            e.URL,
			PublishedParsed: &published,
			Published:       published.Format(time.RFC3339),
			Categories:      e.Keywords,
			Description:     html.EscapeString(strings.Join(e.Keywords, ", ")),
		}
		f.SetItemLanguage(it, e.Lang)
		f.Items = append(f.Items, it)
	}
	return f
}
