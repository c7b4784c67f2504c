package schedule

import (
	"strconv"
	"strings"
	"time"
)

// Skip is the hours and days a feed asks not to be fetched in (RSS 2.0
// skipHours and skipDays), in UTC as RSS defines them. A Skip that would
// leave no hour of the day or no day of the week is ignored: a feed is never
// left unread for ever.
type Skip struct {
	// Hours has bit h set when hour h (0-23, UTC) is skipped.
	Hours uint32 `json:"hours,omitempty"`
	// Days has bit d set when time.Weekday d is skipped.
	Days uint8 `json:"days,omitempty"`
}

const (
	allHours = 1<<24 - 1
	allDays  = 1<<7 - 1
)

// ParseSkip reads the <hour> values of skipHours (0-23; 24 is read as 0, as
// some feeds count from 1 to 24) and the <day> names of skipDays (Monday...
// Sunday, any case). Values it cannot read are left out.
func ParseSkip(hours, days []string) Skip {
	var s Skip
	for _, h := range hours {
		n, err := strconv.Atoi(strings.TrimSpace(h))
		if err != nil || n < 0 || n > 24 {
			continue
		}
		s.Hours |= 1 << (n % 24)
	}
	for _, d := range days {
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if strings.EqualFold(strings.TrimSpace(d), wd.String()) {
				s.Days |= 1 << wd
			}
		}
	}
	return s
}

// IsZero reports whether s skips nothing.
func (s Skip) IsZero() bool { return s.Hours == 0 && s.Days == 0 }

// Skips reports whether t falls in a skipped hour or day.
func (s Skip) Skips(t time.Time) bool {
	t = t.UTC()
	hours, days := s.effective()
	return hours&(1<<t.Hour()) != 0 || days&(1<<t.Weekday()) != 0
}

// After returns the first time at or after t that is not skipped: t itself,
// or the start of the first hour after it that is not.
func (s Skip) After(t time.Time) time.Time {
	for range 24 * 8 {
		if !s.Skips(t) {
			return t
		}
		u := t.UTC()
		t = time.Date(u.Year(), u.Month(), u.Day(), u.Hour()+1, 0, 0, 0, time.UTC)
	}
	return t
}

// effective is s without a set of hours or days that would skip them all.
func (s Skip) effective() (hours uint32, days uint8) {
	hours, days = s.Hours&allHours, s.Days&allDays
	if hours == allHours {
		hours = 0
	}
	if days == allDays {
		days = 0
	}
	return hours, days
}
