package normalize

import (
	"testing"
	"time"
)

func TestRecent(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	items := []Item{
		{ID: "fresh", Published: now.Add(-time.Hour)},
		{ID: "month-old", Published: now.Add(-30 * 24 * time.Hour)},
		{ID: "at-the-limit", Published: now.Add(-72 * time.Hour)},
		{ID: "just-past", Published: now.Add(-72*time.Hour - time.Second)},
	}
	got, old := Recent(items, 72*time.Hour, now)
	if len(got) != 2 || got[0].ID != "fresh" || got[1].ID != "at-the-limit" || old != 2 {
		t.Errorf("Recent(72h) = %v, %d old; want fresh and at-the-limit, 2 old", got, old)
	}
	if got, old := Recent(items, 0, now); len(got) != 4 || old != 0 {
		t.Errorf("Recent(0) = %d items, %d old; want all 4 (no limit)", len(got), old)
	}
}
