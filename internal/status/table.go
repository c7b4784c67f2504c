package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes feeds as /api/feeds serves them: {"feeds": [...]}.
func WriteJSON(w io.Writer, feeds []Feed) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Feeds []Feed `json:"feeds"`
	}{feeds})
}

// WriteTable writes feeds as aligned columns, in the order given, with
// times relative to now, then a line that counts them by state.
func WriteTable(w io.Writer, feeds []Feed, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tSTATE\tLANG\tLAST FETCH\tNEXT FETCH\tITEMS 24H\tALERTS 24H\tLAST ERROR")
	counts := map[string]int{}
	for _, f := range feeds {
		counts[f.State]++
		lang := f.Lang
		if lang == "" {
			lang = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", f.ID, strings.ReplaceAll(f.State, "_", " "), lang,
			Ago(f.LastFetch, now), Ago(f.NextFetch, now), f.Items24h, f.Alerts24h, f.LastError)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range States {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ReplaceAll(s, "_", " ")))
		}
	}
	_, err := fmt.Fprintf(w, "%d feeds: %s\n", len(feeds), strings.Join(parts, ", "))
	return err
}

// Ago says how far t is from now, "5m ago" or "in 2h", to the minute
// (seconds under one); "-" for no time.
func Ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	d := now.Sub(*t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}
