package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"
	"time"
)

// TestTextsClassify checks the farm's texts against the built-in
// classifier: every matching text raises an alert, no off-topic one does.
func TestTextsClassify(t *testing.T) {
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for i, x := range matching {
		enc.Encode(map[string]string{"id": fmt.Sprintf("m%d", i), "title": x.title, "text": x.body + " (12)"})
	}
	for i, x := range offTopic {
		enc.Encode(map[string]string{"id": fmt.Sprintf("o%d", i), "title": x.title, "text": x.body + " (12)"})
	}
	cmd := exec.Command(binary(t), "classify", "--jsonl", "--config", t.TempDir()+"/none.yaml")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vigie classify: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	n := 0
	for dec.More() {
		var r struct {
			ID     string `json:"id"`
			Alerts []any  `json:"alerts"`
		}
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		n++
		if want := r.ID[0] == 'm'; (len(r.Alerts) > 0) != want {
			t.Errorf("%s: %d alerts, want matching=%v", r.ID, len(r.Alerts), want)
		}
	}
	if n != len(matching)+len(offTopic) {
		t.Errorf("%d results for %d texts", n, len(matching)+len(offTopic))
	}
}

// TestNATSNodeStops runs three instances on a three-node cluster with R3
// streams and stops one NATS node in the middle of a cycle, then brings it
// back: every alert is published exactly once, and each tick is fetched once
// across the instances. It takes some 20 s: it runs with the long scenarios
// (VIGIE_CLUSTER_LONG=1, as .ci/run sets).
func TestNATSNodeStops(t *testing.T) {
	longRuns(t)
	e := newEnv(t, setup{Good: 24, Hosts: 4, Instances: 3, Cluster: true, Workers: 4, Delay: 100 * time.Millisecond})
	e.startTicks(2 * time.Second)
	e.waitTicks(2, 30*time.Second)

	// Mid-cycle: while instances have fetches in flight.
	waitInFlight(t, e.farm, "a", "b", "c")
	e.cluster.StopNode(1)
	stopped := time.Now()
	e.waitTicks(2, 60*time.Second)
	if err := e.cluster.StartNode(1); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	pending := e.matchingBefore()
	recovery := e.waitAlerts(pending, 60*time.Second)
	t.Logf("node n2 down %s; alerts of the %d matching items added so far all in VIGIE_ALERTS %s after it came back",
		back.Sub(stopped).Round(time.Millisecond), len(pending), recovery.Round(time.Millisecond))
	e.settle(90 * time.Second)
	r := e.check()
	e.checkHealth(1 << 30)
	checkOncePerTick(t, e, len(e.inst), 0)
	t.Logf("scenario nats-node-stops: items served %d, alerts expected %d, found %d, duplicates %d, recovery %s",
		r.Served, r.Expected, r.Found, r.Duplicates, recovery.Round(time.Millisecond))
}

// waitInFlight waits until one of the instances has a request open at the
// farm, so that a fault lands in the middle of a cycle.
func waitInFlight(t *testing.T, f *Farm, names ...string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range names {
			if f.InFlight(n) > 0 {
				return n
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("no fetch in flight within 20s")
	return ""
}

// checkOncePerTick checks that the instances shared the ticks rather than
// each fetching every tick: a good feed is fetched at most once per tick of
// the daemon's schedule, plus one start job per instance start, the jobs
// put back after a NATS error (as the instances log them) and the jobs in
// flight on instances that were killed (slack); far below the instance
// count times that.
func checkOncePerTick(t *testing.T, e *env, starts, slack int) {
	t.Helper()
	ticks := int(time.Since(e.started)/e.period) + 1
	requeued := e.requeued()
	worst, worstID := 0, ""
	for _, id := range e.farm.Feeds(Good) {
		if n := e.farm.FeedRequests(id) - requeued[id]; n > worst {
			worst, worstID = n, id
		}
	}
	limit := ticks + starts + slack
	t.Logf("%d ticks of %s, instance starts %d, slack %d: a good feed was fetched at most %d times besides requeued jobs (%s; limit %d)",
		ticks, e.period, starts, slack, worst, worstID, limit)
	if worst > limit {
		t.Errorf("feed %s was fetched %d times for at most %d jobs: ticks fetched more than once", worstID, worst, limit)
	}
}
