package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/notify/receiver"
)

// NotifyStory posts a story's first report: the alert's message, as
// Notify does. An incoming webhook cannot change a message it posted:
// the reference is empty.
func (s *Slack) NotifyStory(ctx context.Context, a *vigie.Alert) (receiver.MessageRef, bool, error) {
	retry, err := s.Notify(ctx, a)
	return receiver.MessageRef{}, retry, err
}

// UpdateStory posts the short "also reported by" follow-up of a story.
func (s *Slack) UpdateStory(ctx context.Context, u *receiver.StoryUpdate) (bool, error) {
	return s.post(ctx, FollowUpMessage(u))
}

// FollowUpMessage is the follow-up of a story on a webhook: the reports
// since its last message, under the title of its first.
func FollowUpMessage(u *receiver.StoryUpdate) *Message {
	line := "Also reported by " + reportList(u.New, true)
	first := "*" + escape(receiver.Truncate(u.First.Title, 150)) + "*"
	if u.First.URL != "" {
		first = "*<" + linkURL(u.First.URL) + "|" + escape(receiver.Truncate(u.First.Title, 150)) + ">*"
	}
	text := fmt.Sprintf("Also reported by %s: %s", reportList(u.New, false), u.First.Title)
	blocks := []Block{
		{Type: "section", Text: mrkdwn(line)},
		{Type: "context", Elements: []*Text{mrkdwn("Story of " + first + "  ·  " + storyCounts(u.Story, len(u.Told)+len(u.New)))}},
	}
	return &Message{Text: receiver.Truncate(escape(text), 3000), Blocks: blocks}
}

// reportList names reports as "Source (lang)", linked to their page when
// links is set, at most 15 of them and how many more.
func reportList(reports []receiver.Report, links bool) string {
	var parts []string
	for i, r := range reports {
		if i == 15 {
			parts = append(parts, fmt.Sprintf("%d more", len(reports)-i))
			break
		}
		name := escape(r.Source())
		if links && r.URL != "" {
			name = "<" + linkURL(r.URL) + "|" + name + ">"
		}
		parts = append(parts, name+" ("+escape(r.Lang)+")")
	}
	return strings.Join(parts, ", ")
}

// storyCounts says how widely a story is reported: "5 reports, 4 feeds,
// 3 languages: en, fr, ja".
func storyCounts(s *vigie.Story, told int) string {
	if s == nil {
		return fmt.Sprintf("%d reports", told)
	}
	items := max(s.Items, told)
	return fmt.Sprintf("%d reports, %d feeds, %d languages: %s", items, s.Feeds, len(s.Languages), escape(strings.Join(s.Languages, ", ")))
}

// storyDigestMessage renders the digest of a route that notifies per
// story: a header that counts stories, one section per story with its
// first report and the others' sources.
func storyDigestMessage(d *receiver.Digest) *Message {
	groups := d.ByStory()
	head := fmt.Sprintf("Vigie: %d stories (%d reports)", len(groups), len(d.Alerts))
	if len(groups) == 1 {
		head = fmt.Sprintf("Vigie: 1 story (%d reports)", len(d.Alerts))
		if len(d.Alerts) == 1 {
			head = "Vigie: 1 story (1 report)"
		}
	}
	var text strings.Builder
	text.WriteString(head + "\n")
	blocks := []Block{{Type: "header", Text: &Text{Type: "plain_text", Text: head}}}
	for _, g := range groups {
		a := g[0]
		fmt.Fprintf(&text, "• %s %s\n", escape(a.Title), escape(a.URL))
		line := titleLine(a) + "\n" + escape(source(a)) + "  ·  " + escape(a.Lang) + "  ·  " + published(a)
		if t := topics(a); t != "" {
			line += "  ·  " + escape(t)
		}
		if len(g) > 1 {
			var others []receiver.Report
			for _, x := range g[1:] {
				others = append(others, receiver.ReportOf(x))
			}
			line += "\nAlso reported by " + reportList(others, true)
		}
		// The story as its latest report in the digest saw it.
		for _, x := range slices.Backward(g) {
			if x.Story != nil {
				line += "\n" + storyCounts(x.Story, len(g))
				break
			}
		}
		blocks = append(blocks, Block{Type: "section", Text: mrkdwn(line)})
	}
	return &Message{Text: receiver.Truncate(text.String(), 3000), Blocks: blocks}
}
