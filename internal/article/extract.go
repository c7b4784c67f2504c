package article

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/vigie-news/vigie/internal/normalize"
	"github.com/vigie-news/vigie/internal/parse"
)

// Errors of Extract; test them with errors.Is.
var (
	// ErrNotHTML is a page that is not an HTML document (a PDF, an image).
	ErrNotHTML = errors.New("not an html page")
	// ErrNoText is a page in which no main text was found.
	ErrNoText = errors.New("no article text found")
	// ErrTooComplex is a page of more than MaxElements elements, or of
	// elements nested deeper than the HTML parser allows (512).
	ErrTooComplex = errors.New("page too complex")
)

// MaxElements bounds the elements of a page that Extract reads. Real news
// pages have a few thousand; the bound keeps a hostile page (a megabyte of
// empty tags) from costing seconds of CPU.
const MaxElements = 60000

// Extract returns the main text of an HTML page as plain text: the
// article's paragraphs, without the site's navigation, banners, sidebars,
// footers and scripts. The page's encoding is found as
// parse.HTMLToUTF8 finds it (byte order mark, then contentType's charset,
// then the page's meta charset, each if the bytes fit it). The main text is
// told from the rest by go-readability (a port of Mozilla's Readability, the
// reader view of Firefox); it is then turned into text as a feed's HTML is
// (normalize.Text). pageURL resolves relative links and may be nil.
func Extract(body []byte, contentType string, pageURL *url.URL) (string, error) {
	if !isHTML(body, contentType) {
		return "", ErrNotHTML
	}
	utf8Body, _ := parse.HTMLToUTF8(body, contentType)
	// html.Parse rather than readability.FromReader: the latter guesses
	// the encoding again from the bytes alone, and may take the UTF-8 that
	// HTMLToUTF8 made for Latin-1.
	doc, err := html.Parse(bytes.NewReader(utf8Body))
	if err != nil {
		// The parser's one refusal: elements nested more than 512 deep.
		return "", fmt.Errorf("%w: %w", ErrTooComplex, err)
	}
	if n := countElements(doc, MaxElements+1); n > MaxElements {
		return "", fmt.Errorf("%w: more than %d elements", ErrTooComplex, MaxElements)
	}
	dropOverlays(doc)
	p := readability.NewParser()
	if hasCJK(utf8Body, 200) {
		// Readability retries with laxer rules, which keep more of the
		// page around the article, when the text it found is under 500
		// characters: about 100 words in Latin or Cyrillic script, but a
		// whole short article in Chinese or Japanese, where a character
		// is a word or a syllable.
		p.CharThresholds = 200
	}
	a, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoText, err)
	}
	if a.Node == nil {
		return "", ErrNoText
	}
	var b strings.Builder
	if err := html.Render(&b, a.Node); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoText, err)
	}
	text := normalize.Text(b.String())
	if text == "" {
		return "", ErrNoText
	}
	return text, nil
}

// isHTML reports whether a body is an HTML page: by its Content-Type, or
// by its first bytes when the type says nothing useful.
func isHTML(body []byte, contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "", "application/octet-stream", "text/plain", "binary/octet-stream":
		default:
			return false
		}
	}
	mt, _, _ = mime.ParseMediaType(http.DetectContentType(body))
	return mt == "text/html"
}

// Parts of the ids and class names of consent dialogs (cookie banners) and
// ad slots, which Readability's own list of unlikely blocks does not name:
// anywhere in the name, or at its start.
var (
	overlayParts    = []string{"cookie", "consent", "gdpr", "didomi", "onetrust", "privacy-notice", "privacy-banner", "privacy-popup", "privacy_notice", "privacy_banner"}
	overlayPrefixes = []string{"cmp-", "cmp_", "ad-", "ad_", "ads-", "ads_", "advert", "publicidad", "publicite", "publicité"}
)

// overlayName reports whether an id or class name is one of a consent
// dialog or an ad slot.
func overlayName(name string) bool {
	name = strings.ToLower(name)
	for _, p := range overlayParts {
		if strings.Contains(name, p) {
			return true
		}
	}
	for _, p := range overlayPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// dropOverlays removes from doc what is never part of an article and that
// Readability may keep: dialogs (role dialog or alertdialog, aria-modal),
// which cookie banners and newsletter pop-ups are, and the elements that
// consent managers and ad slots are named for. The page's html, body, main
// and article elements stay whatever their class ("has-cookie-banner").
func dropOverlays(doc *html.Node) {
	var drop []*html.Node
	stack := []*html.Node{doc}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode && isOverlay(n) {
			drop = append(drop, n)
			continue
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, c)
		}
	}
	for _, n := range drop {
		n.Parent.RemoveChild(n)
	}
}

func isOverlay(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Html, atom.Body, atom.Main, atom.Article, atom.Head:
		return false
	}
	for _, a := range n.Attr {
		switch a.Key {
		case "role":
			if r := strings.ToLower(a.Val); r == "dialog" || r == "alertdialog" {
				return true
			}
		case "aria-modal":
			if strings.EqualFold(a.Val, "true") {
				return true
			}
		case "id":
			if overlayName(a.Val) {
				return true
			}
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if overlayName(c) {
					return true
				}
			}
		}
	}
	return false
}

// hasCJK reports whether a UTF-8 page has at least n Han, Hiragana,
// Katakana or Hangul characters.
func hasCJK(b []byte, n int) bool {
	for len(b) > 0 && n > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r >= 0x3040 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Hangul)) {
			n--
		}
	}
	return n <= 0
}

// countElements counts the element nodes under n, stopping at limit.
func countElements(n *html.Node, limit int) int {
	count := 0
	// An explicit stack: the depth of a hostile page is not bounded.
	stack := []*html.Node{n}
	for len(stack) > 0 && count < limit {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == html.ElementNode {
			count++
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, c)
		}
	}
	return count
}
