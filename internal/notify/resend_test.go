package notify_test

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/notify"
)

func TestSelection(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	fails := []notify.Failure{
		{ID: 3, Route: "siem", AlertID: "a.cyber-diplomacy", At: now.Add(-100 * time.Hour)},
		{ID: 4, Route: "soc", AlertID: "b.cyber-diplomacy", At: now.Add(-2 * time.Hour)},
		{ID: 7, Route: "siem", AlertID: "c.cyber-diplomacy", At: now.Add(-30 * time.Minute)},
	}
	tests := []struct {
		name string
		sel  notify.Selection
		want []uint64
	}{
		{"nothing named", notify.Selection{}, nil},
		{"all", notify.Selection{All: true}, []uint64{3, 4, 7}},
		{"by record id", notify.Selection{IDs: []string{"4", "7"}}, []uint64{4, 7}},
		{"by alert id", notify.Selection{IDs: []string{"c.cyber-diplomacy"}}, []uint64{7}},
		{"unknown id", notify.Selection{IDs: []string{"99"}}, nil},
		{"by route", notify.Selection{Route: "siem"}, []uint64{3, 7}},
		{"by age", notify.Selection{OlderThan: time.Hour}, []uint64{3, 4}},
		{"by route and age", notify.Selection{Route: "siem", OlderThan: 72 * time.Hour}, []uint64{3}},
		{"by id and route that disagree", notify.Selection{IDs: []string{"4"}, Route: "siem"}, nil},
		{"all, narrowed by route", notify.Selection{All: true, Route: "soc"}, []uint64{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sel.Now = now
			var got []uint64
			for _, f := range notify.Select(fails, tt.sel) {
				got = append(got, f.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("picked %v, want %v", got, tt.want)
			}
		})
	}
}

// TestResendAndPurge records final failures on two routes, resends those of
// one route once its receiver takes them again, and purges the other's: a
// resent alert reaches its receiver with the same webhook-id, its record
// leaves the stream and its delivery is noted sent; a refusal keeps the
// record; a purge deletes records and nothing else.
func TestResendAndPurge(t *testing.T) {
	t.Parallel()
	b := openBroker(t, t.TempDir())
	defer closeBroker(t, b)
	var accept atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, id string, n int) int {
		if accept.Load() && id != "never.cyber-diplomacy" {
			w.WriteHeader(http.StatusNoContent)
			return http.StatusNoContent
		}
		w.WriteHeader(http.StatusGone)
		return http.StatusGone
	})
	routes := []config.Route{
		webhookRoute("siem", rc.srv.URL+"/siem", config.Match{Languages: []string{"fr"}}),
		webhookRoute("archive", rc.srv.URL+"/archive", config.Match{Languages: []string{"en"}}),
	}
	svc := start(t, b.JS, routes, notify.Options{})
	publish(t, b, newAlert("one", "fr", "vna-fr", 5, "norms"), newAlert("two", "fr", "vna-fr", 5, "norms"),
		newAlert("never", "fr", "vna-fr", 5, "norms"), newAlert("old", "en", "un", 5, "norms"))
	var fails []notify.Failure
	waitFor(t, "four failures recorded", nil, func() bool {
		var err error
		fails, err = notify.Failures(context.Background(), b.JS)
		if err != nil {
			t.Fatal(err)
		}
		return len(fails) == 4
	})
	svc.stop(t)
	counts, err := notify.FailedCounts(context.Background(), b.JS)
	if err != nil || counts["siem"] != 3 || counts["archive"] != 1 {
		t.Fatalf("FailedCounts = %v, %v; want siem 3, archive 1", counts, err)
	}
	for _, f := range fails {
		if f.ID == 0 {
			t.Fatalf("failure %+v has no record id", f)
		}
	}

	accept.Store(true)
	ctx := context.Background()
	siem := notify.Select(fails, notify.Selection{Route: "siem"})
	results, err := notify.Resend(ctx, b.JS, routes, siem, notify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	for _, r := range results {
		outcomes[r.Failure.AlertID] = r.Outcome
		if r.Outcome == notify.ResendFailed && r.Status != http.StatusGone {
			t.Errorf("%s: status %d, want 410", r.Failure.AlertID, r.Status)
		}
	}
	want := map[string]string{"one.cyber-diplomacy": notify.ResendSent, "two.cyber-diplomacy": notify.ResendSent, "never.cyber-diplomacy": notify.ResendFailed}
	if len(outcomes) != len(want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	for id, o := range want {
		if outcomes[id] != o {
			t.Errorf("%s: %s, want %s", id, outcomes[id], o)
		}
	}
	for _, r := range rc.requests() {
		if r.Status == http.StatusNoContent {
			if err := verify(testSecret, r); err != nil {
				t.Errorf("resent %s: %v", r.ID, err)
			}
		}
	}
	if d := rc.delivered(); d["one.cyber-diplomacy"] != 1 || d["two.cyber-diplomacy"] != 1 || d["never.cyber-diplomacy"] != 0 {
		t.Errorf("deliveries %v, want one and two once each", d)
	}
	left, err := notify.Failures(ctx, b.JS)
	if err != nil {
		t.Fatal(err)
	}
	var leftIDs []string
	for _, f := range left {
		leftIDs = append(leftIDs, f.AlertID)
	}
	slices.Sort(leftIDs)
	if !slices.Equal(leftIDs, []string{"never.cyber-diplomacy", "old.cyber-diplomacy"}) {
		t.Errorf("left %v, want the refused one and the other route's", leftIDs)
	}
	notes, err := notify.Deliveries(ctx, b.JS, []string{"one.cyber-diplomacy", "never.cyber-diplomacy"})
	if err != nil {
		t.Fatal(err)
	}
	if d := notes["one.cyber-diplomacy"]["siem"]; d.State != notify.DeliverySent || d.Attempts != 2 {
		t.Errorf("delivery of one: %+v, want sent after 2 attempts", d)
	}
	if d := notes["never.cyber-diplomacy"]["siem"]; d.State != notify.DeliveryFailed {
		t.Errorf("delivery of never: %+v, want still failed", d)
	}

	// A route that left the configuration: its records are skipped.
	results, err = notify.Resend(ctx, b.JS, routes[:1], notify.Select(left, notify.Selection{Route: "archive"}), notify.Options{})
	if err != nil || len(results) != 1 || results[0].Outcome != notify.ResendSkipped {
		t.Errorf("resend for a route not configured: %+v, %v; want skipped", results, err)
	}

	n, err := notify.Purge(ctx, b.JS, notify.Select(left, notify.Selection{Route: "archive"}))
	if err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	counts, err = notify.FailedCounts(ctx, b.JS)
	if err != nil || counts["siem"] != 1 || counts["archive"] != 0 {
		t.Errorf("after the purge: %v, %v; want siem 1, archive 0", counts, err)
	}
}
