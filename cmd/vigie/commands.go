package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigie-news/vigie/classifiers"
	"github.com/vigie-news/vigie/daemon"
	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/classify"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/failures"
	"github.com/vigie-news/vigie/internal/memlimit"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/notify"
	"github.com/vigie-news/vigie/internal/once"
	"github.com/vigie-news/vigie/internal/pipeline"
	"github.com/vigie-news/vigie/internal/replay"
	"github.com/vigie-news/vigie/internal/status"
	"github.com/vigie-news/vigie/internal/story"
	"github.com/vigie-news/vigie/internal/story/natsstore"
	"github.com/vigie-news/vigie/internal/tail"
)

// streams are where a command reads and writes: the process's streams, or a
// test's buffers.
type streams struct {
	in          io.Reader
	out, errOut io.Writer
}

// newRoot builds the command tree. Each command has a flag set of its own
// (a flag of another command is a usage error) and its own --help; the
// tree also gives `vigie help` its list and the shells their completion.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	s := &streams{in: stdin, out: stdout, errOut: stderr}
	root := &cobra.Command{
		Use:   "vigie",
		Short: "Vigie watches news feeds in many languages, classifies their items and\npublishes alerts on NATS.",
		// Only `vigie` itself and `vigie --version` come here: a word
		// that is no command is an error.
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q", args[0])
			}
			return nil
		},
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	version := root.Flags().Bool("version", false, "print the version")
	root.RunE = func(c *cobra.Command, _ []string) error {
		if *version {
			return printVersion(s.out)
		}
		fmt.Fprint(s.errOut, rootUsage(c))
		return exit(exitUsage)
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		if c == c.Root() {
			fmt.Fprint(c.OutOrStdout(), rootUsage(c))
			return
		}
		fmt.Fprint(c.OutOrStdout(), commandHelp(c))
	})
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if c.HasSubCommands() && c != c.Root() {
			err = fmt.Errorf("want %s first, then its flags (%w)", subcommandNames(c), err)
		}
		return &usageError{path: c.CommandPath(), err: err}
	})
	root.AddCommand(
		runCmd(s), checkCmd(s), onceCmd(s), classifyCmd(s), evalCmd(s), replayCmd(s),
		notifyCmd(s), failuresCmd(s), feedsCmd(s), statusCmd(s), storiesCmd(s), tailCmd(s),
		versionCmd(s), completionCmd(s),
	)
	root.SetHelpCommand(helpCmd())
	// cobra adds --help to a command when it runs; `vigie help COMMAND`
	// shows the flags of a command that does not run, so every command
	// gets it now. Only the commands that read files have their arguments
	// completed with file names.
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		if c.ValidArgsFunction == nil && len(c.ValidArgs) == 0 && !takesFiles[c.CommandPath()] {
			c.ValidArgsFunction = cobra.NoFileCompletions
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}

// takesFiles are the commands whose arguments are files.
var takesFiles = map[string]bool{"vigie classify": true, "vigie eval": true, "vigie feeds import": true}

func init() {
	// `vigie help` lists the commands in the order they were added: the
	// daemon first, then the tools.
	cobra.EnableCommandSorting = false
}

// configFlag adds --config to a command.
func configFlag(c *cobra.Command) *string {
	p := c.Flags().String("config", "feeds.yaml", "the configuration `FILE`")
	_ = c.MarkFlagFilename("config", "yaml", "yml")
	return p
}

// logFlags are --log-format and --log-level, on the commands that log.
type logFlags struct{ format, level string }

func addLogFlags(c *cobra.Command) *logFlags {
	l := &logFlags{}
	c.Flags().StringVar(&l.format, "log-format", "auto", "the log `FORMAT`: text, json or auto (text on a terminal, JSON otherwise)")
	c.Flags().StringVar(&l.level, "log-level", "info", "the least `LEVEL` logged: debug, info, warn or error")
	_ = c.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions([]string{"text", "json", "auto"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions([]string{"debug", "info", "warn", "error"}, cobra.ShellCompDirectiveNoFileComp))
	return l
}

// logger is the logger the flags ask for, writing to w; a bad value is a
// usage error of c.
func (l *logFlags) logger(c *cobra.Command, w io.Writer) (*slog.Logger, error) {
	log, err := newLogger(w, l.format, l.level)
	if err != nil {
		return nil, &usageError{path: c.CommandPath(), err: err}
	}
	return log, nil
}

// runConfigured adds --config and the log flags to c, and makes it run
// body with the logger the flags ask for and the configuration, validated
// (its problems printed, exit 2). An error body returns is printed as fail
// prints it, but an exit status it chose (exit) is kept as it is.
func runConfigured(c *cobra.Command, s *streams, body func(c *cobra.Command, args []string, cfg *config.Config, log *slog.Logger) error) {
	configPath := configFlag(c)
	lf := addLogFlags(c)
	c.RunE = func(c *cobra.Command, args []string) error {
		log, err := lf.logger(c, s.errOut)
		if err != nil {
			return err
		}
		cfg, code := loadConfig(*configPath, s.errOut)
		if cfg == nil {
			return exit(code)
		}
		err = body(c, args, cfg, log)
		var chosen codeError
		if errors.As(err, &chosen) {
			return err
		}
		return exit(fail(s.errOut, err))
	}
}

// noArgs refuses arguments, as a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no argument, not %q", args[0])
	}
	return nil
}

func runCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "run [--config feeds.yaml]",
		Short: "run the daemon (embedded NATS unless nats.url is set);\nSIGHUP or a change of the file reloads the configuration",
		Args:  noArgs,
	}
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
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
		// Without GOMEMLIMIT, a soft limit a quarter above the live heap
		// keeps the heap from growing to twice it between collections.
		go memlimit.Follow(c.Context(), 250*time.Millisecond)
		return daemon.New(cfg, daemon.Options{Logger: log, Reload: reload}).Run(c.Context())
	})
	return c
}

func checkCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "check [--config feeds.yaml]",
		Short: "validate the configuration, rule files and entity files",
		Args:  noArgs,
	}
	configPath := configFlag(c)
	c.RunE = func(*cobra.Command, []string) error {
		cfg, code := loadConfig(*configPath, s.errOut)
		if cfg == nil {
			return exit(code)
		}
		// The rule files, the entity files and the routes are checked
		// together, so that one run reports every problem.
		bad := false
		_, clsErr := pipeline.LoadClassifiers(cfg)
		_, entErr := cfg.LoadEntities()
		_, tokenErr := cfg.HTTPToken()
		_, natsErr := cfg.NATSSecrets()
		for _, err := range []error{clsErr, entErr, notify.Check(cfg), tokenErr, natsErr} {
			if err != nil {
				fmt.Fprintln(s.errOut, err)
				bad = true
			}
		}
		if bad {
			return exit(exitUsage)
		}
		summary := fmt.Sprintf("%d feeds, %d languages, classifiers: %s", len(cfg.Feeds), len(cfg.Languages), strings.Join(cfg.Classifiers, ", "))
		if len(cfg.Entities) > 0 {
			summary += ", entity files: " + strings.Join(cfg.Entities, ", ")
		}
		fmt.Fprintf(s.out, "%s: ok (%s)\n", cfg.Path, summary)
		return nil
	}
	return c
}

func onceCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "once [--config feeds.yaml]",
		Short: "read every feed once, print one JSON line per item",
		Args:  noArgs,
	}
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
		var progress io.Writer
		if isTerminal(s.errOut) {
			progress = s.errOut
		}
		return once.Run(c.Context(), cfg, once.Options{Progress: progress, Logger: log}, s.out)
	})
	return c
}

func classifyCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "classify [--jsonl] [--config F] [FILE...]",
		Short: "language and classification of text (stdin without FILE)",
	}
	configPath := configFlag(c)
	jsonl := c.Flags().Bool("jsonl", false, "read items as JSON lines {id, title, text, lang?, hint?, declared?}, write one result line each")
	c.RunE = func(_ *cobra.Command, files []string) error {
		return exit(classifyFiles(*configPath, *jsonl, files, s))
	}
	return c
}

// classifyFiles uses the configuration's languages and classifiers when the file
// exists, and the defaults otherwise, so that it works anywhere.
func classifyFiles(configPath string, jsonl bool, files []string, s *streams) int {
	cfg, err := loadOptionalConfig(configPath)
	if err != nil {
		return fail(s.errOut, err)
	}
	c, err := classify.New(cfg)
	if err != nil {
		return fail(s.errOut, err)
	}
	// one classifies a file's JSON lines, or explains it as one document.
	one := func(name string, r io.Reader) error {
		if jsonl {
			return c.JSONL(r, s.out)
		}
		doc, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return c.Explain(name, doc, s.out)
	}
	if len(files) == 0 {
		return fail(s.errOut, one("stdin", s.in))
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return fail(s.errOut, err)
		}
		err = one(name, f)
		f.Close()
		if err != nil {
			return fail(s.errOut, fmt.Errorf("%s: %w", name, err))
		}
	}
	return 0
}

func evalCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "eval [--classifier NAME] [--part K/N] FILE.jsonl",
		Short: "precision, recall and F1 of a classifier on a labeled corpus,\nper language and kind (--part: only part K of N, split by id)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return errors.New("want one corpus file (JSON lines: id, lang, title, text, label, topics)")
			}
			return nil
		},
	}
	classifier := c.Flags().String("classifier", config.DefaultClassifier, "the classifier: a built-in `NAME` or a rule file")
	part := c.Flags().String("part", "", "only the items of part `K/N` (by a hash of their id; K from 0)")
	_ = c.RegisterFlagCompletionFunc("classifier", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return classifiers.Builtin(), cobra.ShellCompDirectiveDefault
	})
	c.RunE = func(c *cobra.Command, args []string) error {
		k, n, err := parsePart(*part)
		if err != nil {
			return &usageError{path: c.CommandPath(), err: err}
		}
		return exit(evaluate(*classifier, args[0], k, n, s))
	}
	return c
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

func evaluate(classifier, path string, k, n int, s *streams) int {
	c, err := classifiers.Load(classifier)
	if err != nil {
		return fail(s.errOut, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(s.errOut, err)
	}
	defer f.Close()
	items, err := classifiers.ReadCorpus(f)
	if err != nil {
		return fail(s.errOut, fmt.Errorf("%s: %w", path, err))
	}
	if n > 1 {
		items = classifiers.Part(items, k, n)
	}
	return fail(s.errOut, classifiers.Evaluate(c, items).WriteTable(s.out))
}

func replayCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "replay [--config F] [--since DURATION] [--publish] [--json]",
		Short: "run the current rules over the stored items (VIGIE_ITEMS) and\nshow what would alert (+ marks alerts not yet published)",
		Args:  noArgs,
	}
	since := c.Flags().Duration("since", 0, "only the items stored in this last `DURATION` (e.g. 72h; 0: all)")
	publish := c.Flags().Bool("publish", false, "publish the alerts not yet in VIGIE_ALERTS (default: dry run)")
	asJSON := c.Flags().Bool("json", false, "print each alert as its JSON payload")
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
		o := replay.Options{Publish: *publish, JSON: *asJSON, Logger: log}
		if *since > 0 {
			o.Since = time.Now().Add(-*since)
		}
		if isTerminal(s.errOut) {
			o.Progress = s.errOut
		}
		rep, err := replay.Run(c.Context(), cfg, o, s.out)
		if err != nil {
			return err
		}
		verb := "dry run: nothing published"
		if *publish {
			verb = fmt.Sprintf("%d published", rep.Published)
		}
		fmt.Fprintf(s.errOut, "%d items replayed: %d alerts, %d not yet published (%s), %d published alerts no longer raised\n",
			rep.Items, rep.Alerts, rep.New, verb, rep.Dropped)
		return nil
	})
	return c
}

func notifyCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "notify [--config F] [--failures]",
		Short: "run only the notifier against the configured NATS (nats.url,\nor a running daemon's server); --failures: vigie failures list",
		Args:  noArgs,
	}
	listFailures := c.Flags().Bool("failures", false, "list the deliveries that failed for good, then exit (vigie failures list)")
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
		if *listFailures {
			return failures.ListAll(c.Context(), cfg, s.out, log)
		}
		return daemon.Notify(c.Context(), cfg, log)
	})
	return c
}

// groupCmd is a command that only holds others (vigie failures, vigie
// feeds): without one of them, or with a word that is none, it is a usage
// error.
func groupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(c *cobra.Command, args []string) error {
			action := ""
			if len(args) > 0 {
				action = args[0]
			}
			return &usageError{path: c.CommandPath(), err: fmt.Errorf("want %s, not %q", subcommandNames(c), action)}
		},
	}
	c.AddCommand(subs...)
	return c
}

// subcommands are the names of c's commands.
func subcommands(c *cobra.Command) []string {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	return names
}

// subcommandNames lists c's commands as "a, b or c".
func subcommandNames(c *cobra.Command) string {
	names := subcommands(c)
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func failuresCmd(s *streams) *cobra.Command {
	return groupCmd("failures", "the deliveries that failed for good (VIGIE_NOTIFY_FAILED)",
		failuresActionCmd(s, failures.List, "list [--config F] [--route R] [--older-than D] [--json] [ID...]",
			"the deliveries that failed for good (VIGIE_NOTIFY_FAILED), by\nrecord ID or alert id, route and age (older than D)"),
		failuresActionCmd(s, failures.Resend, "resend [--config F] [--route R] [--older-than D] [--all] [--json] [ID...]",
			"deliver the chosen ones again, now; those sent leave the list"),
		failuresActionCmd(s, failures.Purge, "purge [--config F] [--route R] [--older-than D] [--all] [ID...]",
			"forget the chosen ones"),
	)
}

func failuresActionCmd(s *streams, action, use, short string) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short}
	route := c.Flags().String("route", "", "only the failed deliveries of this `ROUTE`")
	olderThan := c.Flags().Duration("older-than", 0, "only the failed deliveries older than this `DURATION` (e.g. 72h)")
	var all, asJSON *bool
	if action != failures.List {
		all = c.Flags().Bool("all", false, "every failed delivery (or every one the other flags choose)")
	}
	if action != failures.Purge {
		asJSON = c.Flags().Bool("json", false, "print a JSON object per failed delivery (list) or per result (resend)")
	}
	runConfigured(c, s, func(c *cobra.Command, ids []string, cfg *config.Config, log *slog.Logger) error {
		sel := notify.Selection{IDs: ids, Route: *route, OlderThan: *olderThan, All: all != nil && *all}
		o := failures.Options{Action: action, Selection: sel, JSON: asJSON != nil && *asJSON, Logger: log}
		err := failures.Run(c.Context(), cfg, o, s.out)
		if errors.Is(err, failures.ErrNotAllSent) {
			return exit(1) // the lines above say which and why
		}
		return err
	})
	return c
}

func statusCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "status [--config F] [--json]",
		Short: "each feed's state (failing first) and its last 24 hours, as the\nstatus page shows them, from NATS, whether the daemon runs or not",
		Args:  noArgs,
	}
	asJSON := c.Flags().Bool("json", false, "print the feeds as /api/feeds serves them")
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
		return natsconn.With(c.Context(), cfg, log, func(b *broker.Broker) error {
			return status.Print(c.Context(), b.JS, cfg, status.PrintOptions{JSON: *asJSON, Logger: log}, s.out)
		})
	})
	return c
}

func storiesCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "stories [--config F] [--min-items N] [--limit N] [--json]",
		Short: "recent stories (the reports of one event across feeds and\nlanguages), latest first, with their reports, languages and feeds",
		Args:  noArgs,
	}
	minItems := c.Flags().Int("min-items", 1, "only the stories of at least `N` reports")
	limit := c.Flags().Int("limit", 50, "at most `N` stories, the latest (0: all)")
	asJSON := c.Flags().Bool("json", false, "print the stories as /api/stories serves them")
	c.PreRunE = func(c *cobra.Command, _ []string) error {
		if *limit < 0 || *minItems < 1 {
			return &usageError{path: c.CommandPath(), err: errors.New("--limit must be 0 (all) or more, --min-items 1 or more")}
		}
		return nil
	}
	runConfigured(c, s, func(c *cobra.Command, _ []string, cfg *config.Config, log *slog.Logger) error {
		return natsconn.With(c.Context(), cfg, log, func(b *broker.Broker) error {
			views, err := natsstore.Lister{JS: b.JS}.Stories(c.Context(), *minItems, *limit)
			if err != nil {
				return err
			}
			if *asJSON {
				return story.WriteJSON(s.out, views)
			}
			return story.WriteTable(s.out, views, time.Now())
		})
	})
	return c
}

func tailCmd(s *streams) *cobra.Command {
	c := &cobra.Command{
		Use:   "tail [--config F] [--server URL] [--json] [SUBJECT]",
		Short: "print alerts as they arrive (default SUBJECT: <prefix>.alert.>)",
		Args:  cobra.MaximumNArgs(1),
	}
	configPath := configFlag(c)
	server := c.Flags().String("server", "", "the NATS `URL` (default: nats.url, or the embedded server's nats.listen)")
	asJSON := c.Flags().Bool("json", false, "print each alert as its JSON payload")
	c.RunE = func(c *cobra.Command, args []string) error {
		// Without a configuration file, tail uses the defaults.
		cfg, err := loadOptionalConfig(*configPath)
		if err != nil {
			return exit(fail(s.errOut, err))
		}
		subject := ""
		if len(args) > 0 {
			subject = args[0]
		}
		o := tail.Options{Config: cfg, Server: *server, Subject: subject, JSON: *asJSON, Color: isTerminal(s.out)}
		err = tail.Run(c.Context(), o, s.out)
		if errors.Is(err, tail.ErrBadSubject) {
			fmt.Fprintln(s.errOut, "vigie tail:", err)
			return exit(exitUsage)
		}
		return exit(fail(s.errOut, err))
	}
	return c
}
