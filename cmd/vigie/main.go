// Command vigie watches news feeds in many languages, classifies their items
// and publishes alerts on NATS. Run `vigie help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/daemon"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/notify"
)

const usage = `Vigie watches news feeds in many languages, classifies their items and
publishes alerts on NATS.

Usage:
  vigie run      [--config feeds.yaml]   run the daemon (embedded NATS unless nats.url is set);
                                         SIGHUP or a change of the file reloads the configuration
  vigie check    [--config feeds.yaml]   validate the configuration, rule files and entity files
  vigie once     [--config feeds.yaml]   read every feed once, print one JSON line per item
  vigie classify [--jsonl] [--config F] [FILE...]
                                         language and classification of text (stdin without FILE)
  vigie eval     [--classifier NAME] [--part K/N] FILE.jsonl
                                         precision, recall and F1 of a classifier on a labeled corpus,
                                         per language and kind (--part: only part K of N, split by id)
  vigie replay   [--config F] [--since DURATION] [--publish] [--json]
                                         run the current rules over the stored items (VIGIE_ITEMS) and
                                         show what would alert (+ marks alerts not yet published)
  vigie notify   [--config F] [--failures]
                                         run only the notifier against the configured NATS (nats.url,
                                         or a running daemon's server); --failures: vigie failures list
  vigie failures list   [--config F] [--route R] [--older-than D] [--json] [ID...]
                                         the deliveries that failed for good (VIGIE_NOTIFY_FAILED), by
                                         record ID or alert id, route and age (older than D)
  vigie failures resend [--config F] [--route R] [--older-than D] [--all] [--json] [ID...]
                                         deliver the chosen ones again, now; those sent leave the list
  vigie failures purge  [--config F] [--route R] [--older-than D] [--all] [ID...]
                                         forget the chosen ones
  vigie feeds import [--config F] [--dry-run] FILE.opml
                                         add every feed of an OPML file (Feedly, Miniflux, FreshRSS...) to
                                         the configuration, keeping its comments; the outlines left out on stderr
  vigie feeds export [--config F]        the configuration's feeds as OPML 2.0, on stdout
  vigie feeds add    [--config F] [--id ID] [--language xx] [--dry-run] URL
                                         add a feed by its address, or by a page's: its feed, else a news
                                         sitemap its robots.txt names, else /feed, /rss.xml, /atom.xml, /feed.json
  vigie status   [--config F] [--json]   each feed's state (failing first) and its last 24 hours, as the
                                         status page shows them, from NATS, whether the daemon runs or not
  vigie stories  [--config F] [--min-items N] [--limit N] [--json]
                                         recent stories (the reports of one event across feeds and
                                         languages), latest first, with their reports, languages and feeds
  vigie tail     [--config F] [--server URL] [--json] [SUBJECT]
                                         print alerts as they arrive (default SUBJECT: <prefix>.alert.>)
  vigie version                          print the version

Common flags:
  --config FILE      the configuration (default ./feeds.yaml)
  --log-format F     text, json or auto (text on a terminal, JSON otherwise; default auto)
  --log-level L      debug, info, warn or error (default info)

Exit status: 0 on success, 2 for a bad configuration or usage, 1 for other errors.
`

// exitUsage is the status for bad configuration and bad usage.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	// vigie failures ACTION [flags] [ID...]: the action comes first.
	action := ""
	if (cmd == "failures" || cmd == "feeds") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "version", "--version":
		fmt.Fprintf(stdout, "vigie %s (%s %s/%s)\n", daemon.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	}
	fs := flag.NewFlagSet("vigie "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "feeds.yaml", "the configuration file")
	logFormat := fs.String("log-format", "auto", "text, json or auto")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	jsonl := fs.Bool("jsonl", false, "classify: read and write JSON lines")
	classifier := fs.String("classifier", config.DefaultClassifier, "eval: the classifier (built-in name or rule file)")
	part := fs.String("part", "", "eval: K/N, only the items of part K of N (by a hash of their id; K from 0)")
	server := fs.String("server", "", "tail: NATS URL (default: nats.url, or the embedded server's nats.listen)")
	asJSON := fs.Bool("json", false, "tail, replay: print each alert as its JSON payload; status, stories: print them as /api/feeds, /api/stories serve them")
	limit := fs.Int("limit", 50, "stories: at most N stories, the latest (0: all)")
	minItems := fs.Int("min-items", 1, "stories: only the stories of at least N reports")
	failures := fs.Bool("failures", false, "notify: list the deliveries that failed for good, then exit (vigie failures list)")
	route := fs.String("route", "", "failures: only the failed deliveries of this route")
	olderThan := fs.Duration("older-than", 0, "failures: only the failed deliveries older than this (e.g. 72h)")
	all := fs.Bool("all", false, "failures resend, purge: every failed delivery (or every one the other flags choose)")
	since := fs.Duration("since", 0, "replay: only items stored in this last period (e.g. 72h; 0: all)")
	publish := fs.Bool("publish", false, "replay: publish the alerts not yet in VIGIE_ALERTS (default: dry run)")
	dryRun := fs.Bool("dry-run", false, "feeds import, add: print what would be added, write nothing")
	feedID := fs.String("id", "", "feeds add: the new feed's id (default: made from its title or address)")
	feedLang := fs.String("language", "", "feeds add: the new feed's language (default: the one its items agree on)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	log, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "vigie:", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()

	switch cmd {
	case "run":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		// SIGHUP reloads the configuration.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		reload := make(chan struct{}, 1)
		go func() {
			for range hup {
				select {
				case reload <- struct{}{}:
				default:
				}
			}
		}()
		return fail(stderr, daemon.New(cfg, daemon.Options{Logger: log, Reload: reload}).Run(ctx))
	case "check":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		// The rule files, the entity files and the routes are checked
		// together, so that one run reports every problem.
		bad := false
		_, clsErr := daemon.LoadClassifiers(cfg)
		_, entErr := cfg.LoadEntities()
		_, tokenErr := cfg.HTTPToken()
		_, natsErr := cfg.NATSSecrets()
		for _, err := range []error{clsErr, entErr, notify.Check(cfg), tokenErr, natsErr} {
			if err != nil {
				fmt.Fprintln(stderr, err)
				bad = true
			}
		}
		if bad {
			return exitUsage
		}
		summary := fmt.Sprintf("%d feeds, %d languages, classifiers: %s", len(cfg.Feeds), len(cfg.Languages), strings.Join(cfg.Classifiers, ", "))
		if len(cfg.Entities) > 0 {
			summary += ", entity files: " + strings.Join(cfg.Entities, ", ")
		}
		fmt.Fprintf(stdout, "%s: ok (%s)\n", cfg.Path, summary)
		return 0
	case "once":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		var progress io.Writer
		if isTerminal(stderr) {
			progress = stderr
		}
		return fail(stderr, daemon.Once(ctx, cfg, stdout, progress, log))
	case "classify":
		return classify(*configPath, *jsonl, fs.Args(), stdin, stdout, stderr)
	case "eval":
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "vigie eval: want one corpus file (JSON lines: id, lang, title, text, label, topics)")
			return exitUsage
		}
		k, n, err := parsePart(*part)
		if err != nil {
			fmt.Fprintln(stderr, "vigie eval:", err)
			return exitUsage
		}
		return evaluate(*classifier, fs.Arg(0), k, n, stdout, stderr)
	case "replay":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		o := daemon.ReplayOptions{Publish: *publish, JSON: *asJSON, Logger: log}
		if *since > 0 {
			o.Since = time.Now().Add(-*since)
		}
		if isTerminal(stderr) {
			o.Progress = stderr
		}
		rep, err := daemon.Replay(ctx, cfg, o, stdout)
		if err != nil {
			return fail(stderr, err)
		}
		verb := "dry run: nothing published"
		if *publish {
			verb = fmt.Sprintf("%d published", rep.Published)
		}
		fmt.Fprintf(stderr, "%d items replayed: %d alerts, %d not yet published (%s), %d published alerts no longer raised\n",
			rep.Items, rep.Alerts, rep.New, verb, rep.Dropped)
		return 0
	case "feeds":
		return feeds(ctx, action, fs, &feedsOptions{config: configPath, dryRun: dryRun, id: feedID, lang: feedLang}, stdout, stderr, log)
	case "notify":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		if *failures {
			return fail(stderr, daemon.ListFailures(ctx, cfg, stdout, log))
		}
		return fail(stderr, daemon.Notify(ctx, cfg, log))
	case "failures":
		if action != daemon.FailuresList && action != daemon.FailuresResend && action != daemon.FailuresPurge {
			fmt.Fprintf(stderr, "vigie failures: want list, resend or purge, not %q\n", action)
			return exitUsage
		}
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		sel := notify.Selection{IDs: fs.Args(), Route: *route, OlderThan: *olderThan, All: *all}
		err := daemon.Failures(ctx, cfg, daemon.FailuresOptions{Action: action, Selection: sel, JSON: *asJSON, Logger: log}, stdout)
		if errors.Is(err, daemon.ErrNotAllSent) {
			return 1 // the lines above say which and why
		}
		return fail(stderr, err)
	case "stories":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		if *limit < 0 || *minItems < 1 {
			fmt.Fprintln(stderr, "vigie stories: --limit must be 0 (all) or more, --min-items 1 or more")
			return exitUsage
		}
		return fail(stderr, daemon.Stories(ctx, cfg, daemon.StoriesOptions{MinItems: *minItems, Limit: *limit, JSON: *asJSON, Logger: log}, stdout))
	case "status":
		cfg, code := loadConfig(*configPath, stderr)
		if cfg == nil {
			return code
		}
		return fail(stderr, daemon.Status(ctx, cfg, daemon.StatusOptions{JSON: *asJSON, Logger: log}, stdout))
	case "tail":
		// Without a configuration file, tail uses the defaults.
		cfg, err := config.Load(*configPath)
		if err != nil && !errors.Is(err, config.ErrNotFound) {
			return fail(stderr, err)
		}
		err = daemon.Tail(ctx, daemon.TailOptions{Config: cfg, Server: *server, Subject: fs.Arg(0), JSON: *asJSON, Color: isTerminal(stdout)}, stdout)
		if errors.Is(err, daemon.ErrBadSubject) {
			fmt.Fprintln(stderr, "vigie tail:", err)
			return exitUsage
		}
		return fail(stderr, err)
	default:
		fmt.Fprintf(stderr, "vigie: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// loadConfig loads and validates a configuration; on failure it prints
// every problem and returns the exit status.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(path)
	if err != nil {
		var list diag.List
		if errors.As(err, &list) {
			fmt.Fprintln(stderr, list.Error())
		} else {
			fmt.Fprintln(stderr, "vigie:", err)
		}
		return nil, exitUsage
	}
	return cfg, 0
}

func fail(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var list diag.List
	if errors.As(err, &list) {
		fmt.Fprintln(stderr, list.Error())
		return exitUsage
	}
	fmt.Fprintln(stderr, "vigie:", err)
	return 1
}

// classify uses the configuration's languages and classifiers when the file
// exists, and the defaults otherwise, so that it works anywhere.
func classify(configPath string, jsonl bool, files []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := config.Load(configPath)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return fail(stderr, err)
	}
	c, err := daemon.NewClassifier(cfg)
	if err != nil {
		return fail(stderr, err)
	}
	if len(files) == 0 {
		if jsonl {
			return fail(stderr, c.ClassifyJSONL(stdin, stdout))
		}
		doc, err := io.ReadAll(stdin)
		if err != nil {
			return fail(stderr, err)
		}
		return fail(stderr, c.ClassifyText("stdin", doc, stdout))
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return fail(stderr, err)
		}
		if jsonl {
			err = c.ClassifyJSONL(f, stdout)
		} else {
			var doc []byte
			if doc, err = io.ReadAll(f); err == nil {
				err = c.ClassifyText(name, doc, stdout)
			}
		}
		f.Close()
		if err != nil {
			return fail(stderr, fmt.Errorf("%s: %w", name, err))
		}
	}
	return 0
}

// parsePart reads --part K/N; empty is the whole corpus (part 0 of 1).
func parsePart(s string) (k, n int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, errK := strconv.Atoi(ks)
	n, errN := strconv.Atoi(ns)
	if !ok || errK != nil || errN != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("--part %q: want K/N with 0 <= K < N, such as 1/2", s)
	}
	return k, n, nil
}

func evaluate(classifier, path string, k, n int, stdout, stderr io.Writer) int {
	c, err := classifiers.Load(classifier)
	if err != nil {
		return fail(stderr, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(stderr, err)
	}
	defer f.Close()
	items, err := classifiers.ReadCorpus(f)
	if err != nil {
		return fail(stderr, fmt.Errorf("%s: %w", path, err))
	}
	if n > 1 {
		items = classifiers.Part(items, k, n)
	}
	return fail(stderr, classifiers.Evaluate(c, items).WriteTable(stdout))
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
