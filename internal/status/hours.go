package status

import (
	"maps"
	"time"
)

// Window is how far back a feed's hourly counts go: the charts show it, and
// the per-feed figures of the last 24 hours are taken from it.
const Window = 48 * time.Hour

// Hour counts what happened to a feed in one hour: the new items and the
// alerts, by language, and the failed fetches.
type Hour struct {
	// Start is the start of the hour, in UTC.
	Start  time.Time      `json:"t"`
	Items  map[string]int `json:"items,omitempty"`
	Alerts map[string]int `json:"alerts,omitempty"`
	Errors int            `json:"errors,omitempty"`
}

// Hours are a feed's hourly counts, oldest first, kept in its state in the
// vigie_feeds bucket: only hours with something to count are present.
type Hours []Hour

// Add counts new items and alerts (by language) and failed fetches in the
// hour of now, and drops the hours that left the window. It returns the
// new counts; h is not changed.
func (h Hours) Add(now time.Time, items, alerts map[string]int, errors int) Hours {
	hour := now.UTC().Truncate(time.Hour)
	from := hour.Add(-Window + time.Hour)
	out := make(Hours, 0, len(h)+1)
	for _, x := range h {
		if !x.Start.Before(from) && !x.Start.After(hour) {
			out = append(out, x)
		}
	}
	if len(items) == 0 && len(alerts) == 0 && errors == 0 {
		return out
	}
	// Hours after now (a clock set back) were dropped above: the last
	// hour kept is this one or an earlier one.
	if len(out) == 0 || !out[len(out)-1].Start.Equal(hour) {
		out = append(out, Hour{Start: hour})
	}
	last := &out[len(out)-1]
	last.Items = addCounts(last.Items, items)
	last.Alerts = addCounts(last.Alerts, alerts)
	last.Errors += errors
	return out
}

// addCounts returns a copy of m with add's counts added (nil when empty).
func addCounts(m, add map[string]int) map[string]int {
	if len(m) == 0 && len(add) == 0 {
		return nil
	}
	out := maps.Clone(m)
	if out == nil {
		out = map[string]int{}
	}
	for k, v := range add {
		if v > 0 {
			out[k] += v
		}
	}
	return out
}

// since sums the items, alerts and errors of the hours that start at or
// after t.
func (h Hours) since(t time.Time) (items, alerts, errors int) {
	for _, x := range h {
		if x.Start.Before(t) {
			continue
		}
		for _, n := range x.Items {
			items += n
		}
		for _, n := range x.Alerts {
			alerts += n
		}
		errors += x.Errors
	}
	return items, alerts, errors
}
