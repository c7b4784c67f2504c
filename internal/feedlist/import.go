package feedlist

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/lang"
)

// Plan is what an import would add, and what it leaves out.
type Plan struct {
	Add     []Entry
	Skipped []Skipped
}

// PlanImport chooses the outlines of an OPML file to add to l: each feed
// once, with an http(s) address, not already in the file; ids made from
// the outline's vigie:id, else its title, else its address (unique,
// [a-z0-9-]+ whatever the script of the title); its language when the
// outline gives one Vigie knows. skipped are the outlines ReadOPML left
// out, reported with the others.
func PlanImport(l *List, outlines []Outline, skipped []Skipped) Plan {
	p := Plan{Skipped: append([]Skipped(nil), skipped...)}
	taken := map[string]bool{}
	for id := range l.IDs {
		taken[id] = true
	}
	inOPML := map[string]int{}
	for _, o := range outlines {
		skip := func(reason string) {
			p.Skipped = append(p.Skipped, Skipped{Line: o.Line, Title: o.Title, URL: o.URL, Reason: reason})
		}
		u, err := url.Parse(o.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			scheme := "not an absolute URL"
			if err == nil && u.Scheme != "" {
				scheme = "a " + u.Scheme + ": URL"
			}
			skip(scheme + ": only http and https feeds are read")
			continue
		}
		key := SameFeed(o.URL)
		if id, ok := l.Has(o.URL); ok {
			skip(fmt.Sprintf("already in %s as %s", l.Path, id))
			continue
		}
		if line, ok := inOPML[key]; ok {
			skip(fmt.Sprintf("the same feed as line %d", line))
			continue
		}
		inOPML[key] = o.Line
		id := ""
		if o.ID != "" && ValidID(o.ID) && !taken[o.ID] {
			id = o.ID
		}
		if id == "" {
			base := Slug(o.Title)
			if base == "" {
				base = HostSlug(o.URL)
			}
			id = base
		}
		id = Unique(id, taken)
		e := Entry{ID: id, URL: o.URL, Title: o.Title}
		if l := primary(o.Language); l != "" && lang.Supported(l) {
			e.Language = l
		}
		p.Add = append(p.Add, e)
	}
	return p
}

// primary is the primary subtag of a language tag, in lower case.
func primary(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// ErrWouldBreak is an edit after which the configuration would have
// problems it did not have before.
var ErrWouldBreak = errors.New("the configuration would not be valid")

// Check validates data, the file's new text, as vigie check does, and
// returns an error wrapping ErrWouldBreak with the problems it has that
// the old text had not (a file already broken stays the user's to fix,
// and is not made worse).
func (l *List) Check(data []byte) error {
	problems := func(b []byte) diag.List {
		if len(b) == 0 {
			return nil
		}
		_, err := config.Parse(l.Path, b, os.LookupEnv)
		var list diag.List
		if !errors.As(err, &list) && err != nil {
			return diag.List{{File: l.Path, Msg: err.Error()}}
		}
		return list
	}
	before := map[string]int{}
	if len(l.Data) > 0 {
		// (An empty file lacks its feeds: they are what is being added.)
		for _, p := range problems(l.Data) {
			before[p.Msg]++
		}
	}
	var added []string
	for _, p := range problems(data) {
		if before[p.Msg] > 0 {
			before[p.Msg]--
			continue
		}
		added = append(added, p.String())
	}
	if len(added) > 0 {
		return fmt.Errorf("%w:\n%s", ErrWouldBreak, strings.Join(added, "\n"))
	}
	return nil
}
