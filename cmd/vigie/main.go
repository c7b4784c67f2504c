// Command vigie watches news feeds in many languages, classifies their items
// and publishes alerts on NATS. Run `vigie help` for the commands.
//
// The package parses the command line (one flag set per command, see
// commands.go) and turns signals into context cancellation; the work is
// done by the packages the commands call. The command tree is cobra's:
// besides a flag set and a help per command (pflag: flags are written
// --name), it gives the shells their completion from the same definitions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/diag"
)

// exitUsage is the status for bad configuration and bad usage.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one ends the process at once.
	go func() { <-ctx.Done(); stop() }()

	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return exitStatus(cmd, err, stderr)
}

// exitStatus turns what a command returned into the process's status:
// the status a command chose (it said why on stderr), 2 for a bad command
// line (said here, with where to find the command's help), 1 otherwise.
func exitStatus(cmd *cobra.Command, err error, stderr io.Writer) int {
	var code codeError
	var usage *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", usage.path, usage.err, usage.path)
		return exitUsage
	}
	// An error cobra found before any command ran: an unknown command or
	// a wrong number of arguments.
	path := "vigie"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", path, err, path)
	return exitUsage
}

// codeError is an exit status a command chose, having said why on stderr.
type codeError int

func (c codeError) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// exit returns the error that makes the process exit with code.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return codeError(code)
}

// usageError is a bad command line: a flag the command does not have, a
// missing or extra argument.
type usageError struct {
	path string // the command, as "vigie failures list"
	err  error
}

func (u *usageError) Error() string { return u.path + ": " + u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

// loadConfig loads and validates a configuration; on failure it prints
// every problem and returns the exit status.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg, err := config.Load(path)
	if err != nil {
		fail(stderr, err) // printed as fail prints it, but always exit 2
		return nil, exitUsage
	}
	return cfg, 0
}

// loadOptionalConfig loads the configuration when the file exists, for
// the commands that fall back on the defaults without one (nil then).
func loadOptionalConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, err
	}
	return cfg, nil
}

// fail prints err and returns the exit status it calls for: 2 for
// configuration problems (a diag.List), 1 for the others, 0 without one.
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
