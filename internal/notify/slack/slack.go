// Package slack posts Vigie alerts to Slack incoming webhooks as Block Kit
// messages with a plain-text fallback, paced under Slack's rate limit.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
	"github.com/vigie-news/vigie/internal/redact"
	"github.com/vigie-news/vigie/internal/version"
)

// Interval is the pace Slack allows an incoming webhook: about one message
// per second.
const Interval = time.Second

// MaxDigestAlerts is how many alerts one digest message lists; Slack accepts
// at most 50 blocks per message.
const MaxDigestAlerts = 20

// Slack delivers to one incoming webhook.
type Slack struct {
	url    string
	tmpl   *template.Template
	client *http.Client
	pacer  *Pacer
	now    func() time.Time
}

// New returns a Slack notifier. text is an optional text/template that renders
// the message text (the notification and fallback) from a *vigie.Alert. pacer
// is shared by every route that posts to the same webhook.
func New(url, text string, client *http.Client, pacer *Pacer, now func() time.Time) (*Slack, error) {
	s := &Slack{url: url, client: client, pacer: pacer, now: now}
	if text != "" {
		t, err := template.New("slack").Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("slack template: %w", err)
		}
		// Fields that do not exist show up only when the template runs: run
		// it once now, so that a typo fails at start rather than per alert.
		if err := t.Execute(io.Discard, &vigie.Alert{}); err != nil {
			return nil, fmt.Errorf("slack template: %w", err)
		}
		s.tmpl = t
	}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Message is a Slack incoming-webhook body.
type Message struct {
	Text        string  `json:"text"`
	Blocks      []Block `json:"blocks,omitempty"`
	UnfurlLinks bool    `json:"unfurl_links"`
}

// Block is a Block Kit block (section, context or header).
type Block struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text,omitempty"`
	Elements []*Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Notify posts the alert. retry reports whether the failure is worth retrying.
func (s *Slack) Notify(ctx context.Context, a *vigie.Alert) (bool, error) {
	m, err := s.Message(a)
	if err != nil {
		return false, err
	}
	return s.post(ctx, m)
}

// Message renders the Block Kit message of an alert.
func (s *Slack) Message(a *vigie.Alert) (*Message, error) {
	text := Fallback(a)
	if s.tmpl != nil {
		var b strings.Builder
		if err := s.tmpl.Execute(&b, escaped(a)); err != nil {
			return nil, fmt.Errorf("slack template: %w", err)
		}
		text = b.String()
	}
	blocks := []Block{{Type: "section", Text: mrkdwn(titleLine(a) + summary(a))}}
	details := []*Text{mrkdwn("*Source:* " + escape(source(a)) + "  ·  *Language:* " + escape(a.Lang) + "  ·  *Published:* " + published(a))}
	if e := entityLine(a, "*"); e != "" {
		details = append(details, mrkdwn(e))
	}
	if t := topics(a); t != "" {
		details = append(details, mrkdwn("*Topics:* "+escape(t)))
	}
	if t := terms(a); t != "" {
		details = append(details, mrkdwn("*Matched:* "+escape(t)))
	}
	blocks = append(blocks, Block{Type: "context", Elements: details})
	return &Message{Text: text, Blocks: blocks}, nil
}

// NotifyDigest posts the alerts of a period, MaxDigestAlerts per message.
func (s *Slack) NotifyDigest(ctx context.Context, d *receiver.Digest) (bool, error) {
	return s.post(ctx, DigestMessage(d))
}

// DigestMessage renders a digest: a header and one line per alert, or,
// for a route that notifies per story, one per story.
func DigestMessage(d *receiver.Digest) *Message {
	if d.PerStory {
		return storyDigestMessage(d)
	}
	head := fmt.Sprintf("Vigie: %d alerts", len(d.Alerts))
	if len(d.Alerts) == 1 {
		head = "Vigie: 1 alert"
	}
	var text strings.Builder
	text.WriteString(head + "\n")
	blocks := []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: head}}}
	for _, a := range d.Alerts {
		fmt.Fprintf(&text, "• %s %s\n", escape(a.Title), escape(a.URL))
		line := titleLine(a) + "\n" + escape(source(a)) + "  ·  " + escape(a.Lang) + "  ·  " + published(a)
		if t := topics(a); t != "" {
			line += "  ·  " + escape(t)
		}
		if e := entityLine(a, ""); e != "" {
			line += "\n" + e
		}
		blocks = append(blocks, Block{Type: "section", Text: mrkdwn(line)})
	}
	return &Message{Text: receiver.Truncate(text.String(), 3000), Blocks: blocks}
}

func (s *Slack) post(ctx context.Context, m *Message) (bool, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("encode slack message: %w", err)
	}
	if s.pacer != nil {
		if err := s.pacer.Wait(ctx); err != nil {
			return true, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("slack request to %s: bad URL", redact.Host(s.url))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", version.UserAgent())
	if err := receiver.Post(s.client, req, s.now, s.url); err != nil {
		var re *receiver.Error
		retry := errors.As(err, &re) && re.Retry
		if re != nil && re.RetryAfter > 0 && s.pacer != nil {
			// The limit is the webhook's, not the message's: slow every
			// route that shares it.
			s.pacer.Delay(re.RetryAfter)
		}
		return retry, fmt.Errorf("slack %s: %w", redact.Host(s.url), err)
	}
	return false, nil
}

// Fallback is the plain-text message of an alert, for notifications and
// clients that do not show blocks.
// Slack reads it as mrkdwn too, so a title such as "<!channel>" is escaped
// like everywhere else: a feed must not be able to mention anyone.
func Fallback(a *vigie.Alert) string {
	return escape(fmt.Sprintf("%s — %s (%s) %s", a.Title, source(a), a.Lang, a.URL))
}

// escaped is a copy of the alert whose text from the feed is escaped for
// mrkdwn, for templates: what the template's author writes is trusted
// (a link as <url|text>, say), what the feed wrote is not.
func escaped(a *vigie.Alert) *vigie.Alert {
	c := *a
	c.Title, c.Summary, c.URL = escape(a.Title), escape(a.Summary), escape(a.URL)
	c.Feed.Title, c.Feed.URL = escape(a.Feed.Title), escape(a.Feed.URL)
	return &c
}

func titleLine(a *vigie.Alert) string {
	title := escape(receiver.Truncate(a.Title, 250))
	if a.URL == "" {
		return "*" + title + "*"
	}
	return "*<" + linkURL(a.URL) + "|" + title + ">*"
}

func summary(a *vigie.Alert) string {
	if a.Summary == "" {
		return ""
	}
	return "\n" + escape(receiver.Truncate(a.Summary, 400))
}

func source(a *vigie.Alert) string {
	if a.Feed.Title != "" {
		return a.Feed.Title
	}
	return a.Feed.ID
}

func published(a *vigie.Alert) string {
	if a.Published.IsZero() {
		return "unknown"
	}
	// Slack shows a date token in the reader's time zone, the fallback in UTC.
	ts := a.Published.UTC()
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", ts.Unix(), ts.Format("2006-01-02 15:04 UTC"))
}

// entityLine shows the states and bodies an alert names in one line,
// "States: CN, US  ·  Bodies: UN", with the labels between mark (the
// mrkdwn bold "*", or nothing); "" when it names none.
func entityLine(a *vigie.Alert, mark string) string {
	var parts []string
	if s := a.Entities.States; len(s) > 0 {
		parts = append(parts, mark+"States:"+mark+" "+escape(strings.Join(s, ", ")))
	}
	if o := a.Entities.Orgs; len(o) > 0 {
		parts = append(parts, mark+"Bodies:"+mark+" "+escape(strings.Join(o, ", ")))
	}
	return strings.Join(parts, "  ·  ")
}

func topics(a *vigie.Alert) string {
	ids := make([]string, 0, len(a.Topics))
	for _, t := range a.Topics {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, ", ")
}

// terms lists the matched terms once each, most frequent first.
func terms(a *vigie.Alert) string {
	count := map[string]int{}
	var order []string
	for _, t := range a.Topics {
		for _, e := range t.Evidence {
			if _, ok := count[e.Term]; !ok {
				order = append(order, e.Term)
			}
			count[e.Term] += e.Count
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	if len(order) > 12 {
		order = order[:12]
	}
	return strings.Join(order, ", ")
}

func mrkdwn(s string) *Text { return &Text{Type: "mrkdwn", Text: receiver.Truncate(s, 3000)} }

// escape makes text safe inside Slack mrkdwn: &, < and > are control
// characters there.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

// linkURL keeps a URL from closing a <url|text> link early.
var linkEscaper = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C", " ", "%20")

func linkURL(u string) string { return linkEscaper.Replace(u) }

// Pacer spaces the messages sent to one webhook, queueing senders rather than
// dropping messages.
type Pacer struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
}

// NewPacer returns a pacer that lets one message through per interval.
func NewPacer(interval time.Duration) *Pacer { return &Pacer{interval: interval} }

// Wait blocks until the caller may send, or ctx ends.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Delay holds every sender back for d, as a 429's Retry-After asks.
func (p *Pacer) Delay(d time.Duration) {
	p.mu.Lock()
	if at := time.Now().Add(d); at.After(p.next) {
		p.next = at
	}
	p.mu.Unlock()
}
