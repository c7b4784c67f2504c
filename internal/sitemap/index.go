package sitemap

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"

	"github.com/vigie-news/vigie/internal/redact"
)

// MaxSitemaps is the most sitemaps of an index read at one time: the most
// recently modified first.
const MaxSitemaps = 25

// FetchFunc reads the document at url and hands its body to consume, as
// it arrives (fetch.Request.Consume). Its error is the fetch's, or
// consume's.
type FetchFunc func(ctx context.Context, url string, consume func(io.Reader) error) error

// Follow reads the sitemaps that the index idx (read from indexURL) lists,
// one level down: a sitemap on another host, the index itself, a sitemap
// listed twice, an index inside the index, and the sitemaps beyond
// MaxSitemaps are left out with a log line. The entries of every sitemap
// read are merged, within MaxEntries kept in all. A sitemap that cannot be
// read is logged and the others are kept; the error is the first failure
// when no sitemap could be read.
func Follow(ctx context.Context, indexURL string, idx *Document, fetch FetchFunc, o Options, log *slog.Logger) (*Document, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &Document{TooOld: idx.TooOld, Invalid: idx.Invalid}
	base, err := url.Parse(indexURL)
	if err != nil {
		return nil, fmt.Errorf("sitemap index %s: %w", indexURL, err)
	}
	refs := make([]Ref, 0, len(idx.Sitemaps))
	seen := map[string]bool{sameDocument(base): true}
	for _, r := range idx.Sitemaps {
		u, err := url.Parse(r.URL)
		switch {
		case err != nil:
			out.Invalid++
		case !strings.EqualFold(u.Hostname(), base.Hostname()):
			log.Warn("sitemap index: a sitemap on another host is not followed", "sitemap", redact.URL(u.String()))
		case sameDocument(u) == sameDocument(base):
			log.Warn("sitemap index lists itself: not followed", "sitemap", redact.URL(u.String()))
		case seen[sameDocument(u)]:
			log.Debug("sitemap index lists a sitemap twice: read once", "sitemap", redact.URL(u.String()))
		default:
			seen[sameDocument(u)] = true
			refs = append(refs, r)
		}
	}
	// The most recently modified first: news is there.
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].LastMod.After(refs[j].LastMod) })
	if len(refs) > MaxSitemaps {
		log.Warn("sitemap index lists more sitemaps than are read at a time: the most recent are read", "read", MaxSitemaps, "left_out", len(refs)-MaxSitemaps)
		refs = refs[:MaxSitemaps]
	}
	var cuts []string
	var first error
	read := 0
	for _, r := range refs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if len(out.Entries) >= MaxEntries {
			log.Warn("sitemap index: entries kept reach the limit, the other sitemaps are left out", "limit", MaxEntries)
			break
		}
		var doc *Document
		err := fetch(ctx, r.URL, func(body io.Reader) error {
			var err error
			doc, err = Decode(body, o)
			return err
		})
		switch {
		case err == nil && doc.Index:
			log.Warn("sitemap index inside a sitemap index: not followed (one level only)", "sitemap", redact.URL(r.URL))
			continue
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			log.Warn("sitemap of an index not read", "sitemap", redact.URL(r.URL), "error", err)
			if first == nil {
				first = fmt.Errorf("sitemap %s: %w", redact.URL(r.URL), err)
			}
			continue
		}
		read++
		room := MaxEntries - len(out.Entries)
		out.Entries = append(out.Entries, doc.Entries[:min(room, len(doc.Entries))]...)
		out.Seen += doc.Seen
		out.TooOld += doc.TooOld
		out.Undated += doc.Undated
		out.Invalid += doc.Invalid
		if doc.Cut != "" {
			log.Warn("sitemap cut", "sitemap", redact.URL(r.URL), "reason", doc.Cut, "entries", len(doc.Entries))
			cuts = append(cuts, redact.URL(r.URL)+": "+doc.Cut)
		}
	}
	if read == 0 && first != nil {
		return nil, first
	}
	out.Cut = strings.Join(cuts, "; ")
	return out, nil
}

// sameDocument is u without its fragment, for telling documents apart.
func sameDocument(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	c.Host = strings.ToLower(c.Host)
	return c.String()
}
