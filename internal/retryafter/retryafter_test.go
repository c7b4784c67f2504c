package retryafter

import (
	"net/http"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name, in string
		limit    time.Duration
		want     time.Duration
	}{
		{"seconds", "1", day, time.Second},
		{"spaces", " 30 ", day, 30 * time.Second},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), day, 90 * time.Second},
		{"past date", now.Add(-time.Minute).Format(http.TimeFormat), day, 0},
		{"far date", now.AddDate(3, 0, 0).Format(http.TimeFormat), day, day},
		{"absent", "", day, 0},
		{"zero", "0", day, 0},
		{"negative", "-5", day, 0},
		{"garbage", "soon", day, 0},
		{"fraction", "1.5", day, 0},
		{"capped at the limit", "999999999", day, day},
		{"smaller limit", "7200", time.Hour, time.Hour},
		{"20 digits", "99999999999999999999", day, day},
		{"20 negative digits", "-99999999999999999999", day, 0},
		{"no limit, no wait", "60", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Parse(tt.in, now, tt.limit); got != tt.want {
				t.Errorf("Parse(%q, %v) = %v, want %v", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"1", "120", "Sun, 22 Nov 2026 12:01:00 GMT", "Mon, 01 Jan 2046 00:00:00 GMT", "", "-1", "1e9", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := Parse(v, now, 24*time.Hour); d < 0 || d > 24*time.Hour {
			t.Errorf("Parse(%q) = %v", v, d)
		}
	})
}
