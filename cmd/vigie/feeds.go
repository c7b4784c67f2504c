package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/discover"
	"github.com/vigie-news/vigie/internal/feedlist"
	"github.com/vigie-news/vigie/internal/fetch"
	"github.com/vigie-news/vigie/internal/lang"
	"github.com/vigie-news/vigie/internal/source"
)

// feedsOptions are the flags of vigie feeds import, export and add.
type feedsOptions struct {
	config   *string
	dryRun   *bool
	id, lang *string
}

func feedsCmd(s *streams) *cobra.Command {
	return groupCmd("feeds", "the configuration's feed list: import, export, add", feedsImportCmd(s), feedsExportCmd(s), feedsAddCmd(s))
}

// exactArgs wants n arguments, saying what they are when they are not.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return errors.New(what)
		}
		return nil
	}
}

func feedsImportCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "import [--config F] [--dry-run] FILE.opml",
		Short: "add every feed of an OPML file (Feedly, Miniflux, FreshRSS...) to\nthe configuration, keeping its comments; the outlines left out on stderr",
		Args:  exactArgs(1, "want one OPML file"),
	}
	o := &feedsOptions{config: configFlag(c), dryRun: dryRunFlag(c)}
	c.RunE = func(_ *cobra.Command, args []string) error {
		return exit(feedsImport(args[0], o, s.out, s.errOut))
	}
	return c
}

func feedsExportCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "export [--config F]",
		Short: "the configuration's feeds as OPML 2.0, on stdout",
		Args:  exactArgs(0, "takes no argument (the OPML goes to stdout)"),
	}
	o := &feedsOptions{config: configFlag(c)}
	c.RunE = func(*cobra.Command, []string) error {
		return exit(feedsExport(o, s.out, s.errOut))
	}
	return c
}

func feedsAddCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "add [--config F] [--id ID] [--language xx] [--dry-run] URL",
		Short: "add a feed by its address, or by a page's: its feed, else a news\nsitemap its robots.txt names, else /feed, /rss.xml, /atom.xml, /feed.json",
		Args:  exactArgs(1, "want one URL, of a feed or of a page"),
	}
	o := &feedsOptions{config: configFlag(c)}
	o.id = c.Flags().String("id", "", "the new feed's `ID` (default: made from its title or address)")
	o.lang = c.Flags().String("language", "", "the new feed's language, `xx` (default: the one its items agree on)")
	o.dryRun = dryRunFlag(c)
	lf := addLogFlags(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		log, err := lf.logger(c, s.errOut)
		if err != nil {
			return err
		}
		return exit(feedsAdd(c.Context(), args[0], o, s.out, s.errOut, log))
	}
	return c
}

func dryRunFlag(c *cobra.Command) *bool {
	return c.Flags().Bool("dry-run", false, "print what would be added, write nothing")
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
	fo := fetch.Options{Logger: log}
	languages := lang.DefaultLanguages
	if cfg, err := config.Load(*o.config); err == nil {
		fo.UserAgent = cfg.Fetch.UserAgent
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
