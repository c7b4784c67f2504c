package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-news/vigie/daemon"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/discover"
	"github.com/vigie-news/vigie/internal/feedlist"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/source"
)

// feedsOptions are the flags of vigie feeds, read once every argument is
// parsed (flags may follow the file or URL).
type feedsOptions struct {
	config   *string
	dryRun   *bool
	id, lang *string
}

// positional returns the arguments of a command that takes its flags
// before or after them (vigie feeds import FILE --dry-run): the flags
// after a positional argument are parsed too.
func positional(fs *flag.FlagSet) ([]string, error) {
	var out []string
	for fs.NArg() > 0 {
		out = append(out, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// feeds runs vigie feeds import|export|add.
func feeds(ctx context.Context, action string, fs *flag.FlagSet, o *feedsOptions, stdout, stderr io.Writer, log *slog.Logger) int {
	args, err := positional(fs)
	if err != nil {
		return exitUsage
	}
	switch action {
	case "import":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "vigie feeds import: want one OPML file")
			return exitUsage
		}
		return feedsImport(args[0], o, stdout, stderr)
	case "export":
		if len(args) != 0 {
			fmt.Fprintln(stderr, "vigie feeds export: takes no argument (the OPML goes to stdout)")
			return exitUsage
		}
		return feedsExport(o, stdout, stderr)
	case "add":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "vigie feeds add: want one URL, of a feed or of a page")
			return exitUsage
		}
		return feedsAdd(ctx, args[0], o, stdout, stderr, log)
	}
	fmt.Fprintf(stderr, "vigie feeds: want import, export or add, not %q\n", action)
	return exitUsage
}

func feedsImport(file string, o *feedsOptions, stdout, stderr io.Writer) int {
	f, err := os.Open(file)
	if err != nil {
		return fail(stderr, err)
	}
	defer f.Close()
	outlines, skipped, err := feedlist.ReadOPML(f)
	if err != nil {
		fmt.Fprintf(stderr, "vigie feeds import: %s: %v\n", file, err)
		return 1
	}
	l, err := feedlist.Load(*o.config)
	if err != nil {
		return fail(stderr, err)
	}
	plan := feedlist.PlanImport(l, outlines, skipped)
	sort.SliceStable(plan.Skipped, func(i, j int) bool { return plan.Skipped[i].Line < plan.Skipped[j].Line })
	for _, s := range plan.Skipped {
		what := s.Title
		if s.URL != "" {
			what += " <" + s.URL + ">"
		}
		fmt.Fprintf(stderr, "%s:%d: left out: %s (%s)\n", file, s.Line, s.Reason, what)
	}
	comment := fmt.Sprintf("imported from %s on %s", filepath.Base(file), time.Now().Format("2006-01-02"))
	return writeFeeds(l, plan.Add, comment, o, fmt.Sprintf("%d feeds of %s", len(outlines), file), stdout, stderr)
}

// writeFeeds adds entries to the list's file (or, with --dry-run, says
// what it would add): the file is checked as vigie check would, and left
// as it was when the result would not be valid.
func writeFeeds(l *feedlist.List, entries []feedlist.Entry, comment string, o *feedsOptions, from string, stdout, stderr io.Writer) int {
	if len(entries) == 0 {
		fmt.Fprintf(stdout, "%s: nothing to add (%s)\n", l.Path, from)
		return 0
	}
	data, err := l.Add(entries, comment)
	if err != nil {
		return fail(stderr, err)
	}
	if err := l.Check(data); err != nil {
		fmt.Fprintf(stderr, "vigie feeds: %s left as it was: %v\n", l.Path, err)
		return 1
	}
	verb := "added"
	if *o.dryRun {
		verb = "would add (dry run: nothing written)"
	}
	noun := "feeds"
	if len(entries) == 1 {
		noun = "feed"
	}
	fmt.Fprintf(stdout, "%s: %s %d %s (%s):\n", l.Path, verb, len(entries), noun, from)
	for _, e := range entries {
		lang := ""
		if e.Language != "" {
			lang = " [" + e.Language + "]"
		}
		fmt.Fprintf(stdout, "  %-30s %s%s  %s\n", e.ID, e.URL, lang, e.Title)
	}
	if *o.dryRun {
		return 0
	}
	if err := l.Save(data); err != nil {
		return fail(stderr, err)
	}
	return 0
}

func feedsExport(o *feedsOptions, stdout, stderr io.Writer) int {
	cfg, code := loadConfig(*o.config, stderr)
	if cfg == nil {
		return code
	}
	var out []feedlist.ExportFeed
	for _, f := range cfg.Feeds {
		if f.HTML != nil {
			// A listing page is no feed a reader could take, and its
			// selectors have no place in OPML.
			fmt.Fprintf(stderr, "%s:%d: left out of the OPML: %s is a listing page (html:), not a feed\n", cfg.Path, f.Line, f.ID)
			continue
		}
		out = append(out, feedlist.ExportFeed{ID: f.ID, Title: f.Title, URL: f.URL, Language: f.Language})
	}
	return fail(stderr, feedlist.WriteOPML(stdout, "Vigie feeds ("+filepath.Base(cfg.Path)+")", out, time.Now()))
}

func feedsAdd(ctx context.Context, raw string, o *feedsOptions, stdout, stderr io.Writer, log *slog.Logger) int {
	l, err := feedlist.Load(*o.config)
	if err != nil {
		return fail(stderr, err)
	}
	if id, ok := l.Has(raw); ok {
		fmt.Fprintf(stderr, "vigie feeds add: %s is already in %s as %s\n", raw, l.Path, id)
		return 1
	}
	if *o.id != "" && (!feedlist.ValidID(*o.id) || l.IDs[*o.id]) {
		fmt.Fprintf(stderr, "vigie feeds add: --id %q: want [a-z0-9-]+, not taken in %s\n", *o.id, l.Path)
		return exitUsage
	}
	if *o.lang != "" && !lang.Supported(*o.lang) {
		fmt.Fprintf(stderr, "vigie feeds add: --language %q: not a language Vigie knows (ISO 639-1, such as fr)\n", *o.lang)
		return exitUsage
	}
	// The fetch settings and languages of the configuration, when it is
	// valid; the defaults otherwise.
	fo := fetch.Options{UserAgent: daemon.UserAgent(), Logger: log}
	languages := lang.DefaultLanguages
	if cfg, err := config.Load(*o.config); err == nil {
		fo.UserAgent = cmp.Or(cfg.Fetch.UserAgent, fo.UserAgent)
		fo.Timeout, fo.MaxBodyBytes, fo.HostGap = cfg.Fetch.Timeout, cfg.Fetch.MaxBodyBytes, cfg.Fetch.HostGap
		languages = cfg.Languages
	}
	fetcher := fetch.New(fo)
	defer fetcher.CloseIdleConnections()
	detect := sync.OnceValue(func() *lang.Detector { d, _ := lang.New(languages); return d })
	finder := &discover.Finder{
		Fetcher: fetcher,
		Sources: source.New(fetcher, log),
		Detect: func(title, text, declared string) string {
			if d := detect(); d != nil {
				return d.Detect(lang.Input{Title: title, Text: text, Declared: declared}).Lang
			}
			return ""
		},
	}
	found, err := finder.Find(ctx, raw)
	if err != nil {
		fmt.Fprintf(stderr, "vigie feeds add: %v; %s left as it was\n", err, l.Path)
		if found != nil {
			for _, t := range found.Tried {
				fmt.Fprintf(stderr, "  tried %s\n", t)
			}
		}
		return 1
	}
	if id, ok := l.Has(found.URL); ok {
		fmt.Fprintf(stderr, "vigie feeds add: found %s, already in %s as %s\n", found.URL, l.Path, id)
		return 1
	}
	var seen []string
	for code, n := range found.Languages {
		seen = append(seen, fmt.Sprintf("%s %d", code, n))
	}
	sort.Strings(seen)
	fmt.Fprintf(stdout, "found %s (%s)\n  kind: %s\n  title: %s\n  items: %d\n  languages seen: %s\n",
		found.URL, found.How, found.Kind, cmp.Or(found.Title, "(none)"), found.Items, cmp.Or(strings.Join(seen, ", "), "(none)"))
	taken := map[string]bool{}
	for id := range l.IDs {
		taken[id] = true
	}
	e := feedlist.Entry{ID: *o.id, URL: found.URL, Title: found.Title, Language: *o.lang}
	if e.ID == "" {
		e.ID = feedlist.Unique(cmp.Or(feedlist.Slug(found.Title), feedlist.HostSlug(found.URL)), taken)
	}
	if e.Language == "" && lang.Supported(found.Language) {
		e.Language = found.Language
	}
	comment := fmt.Sprintf("added by vigie feeds add on %s", time.Now().Format("2006-01-02"))
	return writeFeeds(l, []feedlist.Entry{e}, comment, o, "from "+raw, stdout, stderr)
}
