package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigie-news/vigie/internal/version"
)

func versionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version (also vigie --version)",
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return printVersion(s.out) },
	}
}

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "vigie %s (%s %s/%s)\n", version.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// completionShells are the shells `vigie completion` writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

func completionCmd(s *streams) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "the shell's completion script for vigie's commands and flags, on stdout",
		Long: `Install it for the current user:
  bash:  vigie completion bash > ~/.local/share/bash-completion/completions/vigie
  zsh:   vigie completion zsh > "${fpath[1]}/_vigie"   (with compinit enabled)
  fish:  vigie completion fish > ~/.config/fish/completions/vigie.fish`,
		ValidArgs: completionShells,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(completionShells, args[0]) {
				return fmt.Errorf("want one shell: %s", strings.Join(completionShells, ", "))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(s.out, true)
			case "zsh":
				return root.GenZshCompletion(s.out)
			default:
				return root.GenFishCompletion(s.out, true)
			}
		},
	}
}

// helpCmd is `vigie help [COMMAND...]`: the list of commands, or one
// command's usage and flags.
func helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "this list, or a command's usage and flags (also vigie COMMAND --help)",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			cmd, _, err := c.Root().Find(args)
			if err != nil || cmd == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return subcommands(cmd), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return &usageError{path: "vigie help", err: fmt.Errorf("no command %q", strings.Join(args, " "))}
			}
			return cmd.Help()
		},
	}
}

// rootUsage is `vigie help`: every command with its flags and what it
// does, made from the command tree, so that it cannot leave a command or
// a flag out. The README's Commands section is this list.
func rootUsage(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(root.Short + "\n\nUsage:\n")
	writeCommandList(&b, root, "  ")
	b.WriteString(`
Common flags (on the commands that log: run, once, replay, notify, failures,
feeds add, status, stories):
  --log-format F     text, json or auto (text on a terminal, JSON otherwise; default auto)
  --log-level L      debug, info, warn or error (default info)

Run 'vigie COMMAND --help' for a command's flags.
Exit status: 0 on success, 2 for a bad configuration or usage, 1 for other errors.
`)
	return b.String()
}

// descColumn is where the descriptions of `vigie help` start; namePad is
// the width the commands' names are padded to, at most.
const (
	descColumn = 39
	namePad    = 8
)

// writeCommandList writes a line per leaf command under c: the command
// and its synopsis (names padded among siblings), then what it does, on
// the same line when there is room.
func writeCommandList(b *strings.Builder, c *cobra.Command, indent string) {
	width := 0
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			width = max(width, len(sub.Name()))
		}
	}
	// A long name (completion) goes unpadded rather than push every
	// description to the next line.
	width = min(width, namePad)
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() && sub.Name() != "help" {
			continue
		}
		if sub.HasAvailableSubCommands() {
			writeCommandList(b, sub, indent)
			continue
		}
		head := sub.CommandPath()
		head = strings.TrimSuffix(head, sub.Name()) + fmt.Sprintf("%-*s", width, sub.Name())
		if args, ok := strings.CutPrefix(sub.Use, sub.Name()); ok && strings.TrimSpace(args) != "" {
			head += " " + strings.TrimSpace(args)
		}
		head = strings.TrimRight(head, " ")
		lines := strings.Split(sub.Short, "\n")
		pad := strings.Repeat(" ", descColumn)
		if len(head) < descColumn-1 {
			fmt.Fprintf(b, "%s%-*s%s\n", indent, descColumn, head, lines[0])
			lines = lines[1:]
		} else {
			fmt.Fprintf(b, "%s%s\n", indent, head)
		}
		for _, l := range lines {
			fmt.Fprintf(b, "%s%s%s\n", indent, pad, l)
		}
	}
}

// commandHelp is `vigie COMMAND --help`: its usage line, what it does, and
// its own flags.
func commandHelp(c *cobra.Command) string {
	var b strings.Builder
	if c.HasAvailableSubCommands() {
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		fmt.Fprintf(&b, "Usage: %s %s ...\n\n%s.\n\nCommands:\n", c.CommandPath(), strings.Join(names, "|"), c.Short)
		writeCommandList(&b, c, "  ")
		fmt.Fprintf(&b, "\nRun '%s COMMAND --help' for a command's flags.\n", c.CommandPath())
		return b.String()
	}
	use := strings.TrimSpace(strings.TrimPrefix(c.Use, c.Name()))
	fmt.Fprintf(&b, "Usage: %s %s\n\n", c.CommandPath(), use)
	b.WriteString(strings.ReplaceAll(c.Short, "\n", " ") + "\n")
	if c.Long != "" {
		b.WriteString("\n" + c.Long + "\n")
	}
	fmt.Fprintf(&b, "\nFlags:\n%s", c.LocalFlags().FlagUsages())
	return b.String()
}
