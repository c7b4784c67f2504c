package story

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// View is a story as `vigie stories` and /api/stories show it.
type View struct {
	ID        string    `json:"id"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Items counts its reports, Languages and Feeds are theirs.
	Items     int      `json:"items"`
	Languages []string `json:"languages"`
	Feeds     []string `json:"feeds"`
	// Reports are its reports in the order they were grouped (the first
	// MaxItems).
	Reports []Report `json:"reports"`
}

// Report is one report of a story.
type Report struct {
	ID        string    `json:"id"`
	Feed      string    `json:"feed"`
	FeedTitle string    `json:"feed_title,omitempty"`
	Lang      string    `json:"lang"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Published time.Time `json:"published"`
}

// View returns the story as it is shown.
func (s *Story) View() View {
	v := View{ID: s.ID, FirstSeen: s.First.UTC(), LastSeen: s.Last.UTC(), Items: s.Len(), Languages: s.Languages(), Feeds: s.Feeds(), Reports: []Report{}}
	for _, m := range s.Items {
		v.Reports = append(v.Reports, Report{ID: m.ID, Feed: m.Feed, FeedTitle: m.FeedTitle, Lang: m.Lang, Title: m.Title, URL: m.URL, Published: m.Time.UTC()})
	}
	return v
}

// Select returns the views of the stories with at least minItems
// reports, the latest first, at most limit of them (0: all).
func Select(stories []*Story, minItems, limit int) []View {
	SortLatestFirst(stories)
	out := []View{}
	for _, s := range stories {
		if s.Len() < minItems {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, s.View())
	}
	return out
}

// WriteJSON prints stories as /api/stories serves them: {"stories": [...]}.
func WriteJSON(w io.Writer, views []View) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Stories []View `json:"stories"`
	}{views})
}

// WriteTable prints stories for a terminal: a line per story (its last
// report's age, its reports, feeds and languages, its first title), then
// a line per report.
func WriteTable(w io.Writer, views []View, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STORY\tLAST\tITEMS\tFEEDS\tLANGUAGES\tTITLE")
	for _, v := range views {
		title := ""
		if len(v.Reports) > 0 {
			title = v.Reports[0].Title
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", v.ID, ago(now.Sub(v.LastSeen)), v.Items, len(v.Feeds), strings.Join(v.Languages, ","), cut(title, 70))
		for _, r := range v.Reports {
			fmt.Fprintf(tw, "\t\t\t%s\t%s\t%s\n", r.Feed, r.Lang, strings.TrimSpace(cut(r.Title, 60)+" "+r.URL))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d stories\n", len(views))
	return err
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
