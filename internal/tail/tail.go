// Package tail is vigie tail: it follows the alerts on NATS and prints
// them as they arrive, one readable line each (Line) or as their payload.
package tail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/redact"
)

// Options say where `vigie tail` listens.
type Options struct {
	// Config, when loaded, gives the server and the subject prefix.
	Config *config.Config
	// Server overrides the NATS URL.
	Server string
	// Subject to follow; default <prefix>.alert.>.
	Subject string
	// JSON prints each payload as it came.
	JSON bool
	// Color highlights the fields (for a terminal).
	Color bool
}

// Run prints alerts as they arrive, one line each, until ctx is cancelled.
func Run(ctx context.Context, o Options, w io.Writer) error {
	url, prefix := o.Server, config.DefaultSubjectPrefix
	if o.Config != nil {
		prefix = o.Config.NATS.SubjectPrefix
	}
	if url == "" {
		url = natsconn.ServerURL(o.Config)
	}
	subject := o.Subject
	if subject == "" {
		subject = prefix + ".alert.>"
	}
	if err := checkSubject(subject); err != nil {
		return err
	}
	auth, err := natsconn.Auth(o.Config)
	if err != nil {
		return err
	}
	opts, err := auth.ClientOptions()
	if err != nil {
		return err
	}
	closed := make(chan struct{})
	opts = append(opts, nats.Name("vigie tail"), nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("connect to %s (is vigie run running?): %w", redact.URL(url), err)
	}
	defer nc.Close()
	msgs := make(chan *nats.Msg, 256)
	sub, err := nc.ChanSubscribe(subject, msgs)
	if err == nil {
		// The server checks the subject only now, and answers a bad one
		// by closing the connection.
		err = nc.FlushTimeout(5 * time.Second)
	}
	if err == nil {
		err = nc.LastError()
	}
	if err != nil {
		return fmt.Errorf("subscribe %s: %w", subject, err)
	}
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-closed:
			return fmt.Errorf("connection to NATS closed: %w", nc.LastError())
		case m := <-msgs:
			if o.JSON {
				fmt.Fprintf(w, "%s\n", m.Data)
				continue
			}
			line := Line(m.Subject, m.Data)
			if o.Color {
				line = colorize(line)
			}
			fmt.Fprintln(w, line)
		}
	}
}

// ErrBadSubject is Run's error for a subject NATS would refuse.
var ErrBadSubject = errors.New("not a NATS subject")

// checkSubject refuses what the server would: empty tokens, white space, and
// ">" anywhere but as the last token.
func checkSubject(s string) error {
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		if t == "" || strings.ContainsAny(t, " \t\r\n") || t == ">" && i != len(tokens)-1 {
			return fmt.Errorf("%q: %w (tokens separated by dots, * for one token, > only at the end)", s, ErrBadSubject)
		}
	}
	return nil
}

// Line renders an alert payload as one readable line.
func Line(subject string, data []byte) string {
	var a vigie.Alert
	if err := json.Unmarshal(data, &a); err != nil || a.ID == "" {
		return subject + " " + string(data)
	}
	return AlertLine(&a)
}

// AlertLine renders an alert as Line does its payload.
func AlertLine(a *vigie.Alert) string {
	topics := make([]string, 0, len(a.Topics))
	for _, t := range a.Topics {
		topics = append(topics, t.ID)
	}
	when := a.Published.Local().Format(time.DateTime)
	return fmt.Sprintf("%s  %-3s %-14s %5.1f  [%s]  %s  %s", when, a.Lang, a.Feed.ID, a.Score, strings.Join(topics, ","), a.Title, a.URL)
}

// colorize highlights a Line: the language in cyan, the topics in
// yellow, the title in bold. Lines that are not alerts stay as they are.
func colorize(line string) string {
	open := strings.Index(line, "  [")
	end := strings.Index(line, "]  ")
	if open < 0 || end < open {
		return line
	}
	const (
		reset  = "\x1b[0m"
		bold   = "\x1b[1m"
		cyan   = "\x1b[36m"
		yellow = "\x1b[33m"
	)
	head, topics, rest := line[:open], line[open+2:end+1], line[end+3:]
	title, url, _ := strings.Cut(rest, "  ")
	if len(head) > 21 {
		head = head[:21] + cyan + head[21:24] + reset + head[24:]
	}
	return head + "  " + yellow + topics + reset + "  " + bold + title + reset + "  " + url
}
