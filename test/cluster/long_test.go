package cluster

import (
	"testing"
	"time"
)

// The scenarios below take a minute or more each; they run with
// VIGIE_CLUSTER_LONG=1 (see README.md).

// TestInstanceKilled kills one of three instances with SIGKILL while it has
// a fetch in flight. Its job is redelivered to another instance after the
// ack wait, the others carry on with the schedule, and every alert is in
// VIGIE_ALERTS exactly once.
func TestInstanceKilled(t *testing.T) {
	longRuns(t)
	e := newEnv(t, setup{Good: 24, Hosts: 4, Instances: 3, Cluster: true, Workers: 4, Delay: 300 * time.Millisecond})
	e.startTicks(2 * time.Second)
	e.waitTicks(3, 30*time.Second)

	waitInFlight(t, e.farm, "b")
	e.inst[1].Kill()
	killed := time.Now()
	pending := e.matchingBefore()
	recovery := e.waitAlerts(pending, 90*time.Second)
	t.Logf("instance b killed; alerts of the %d matching items added before the kill all in VIGIE_ALERTS %s later",
		len(pending), recovery.Round(time.Millisecond))
	e.waitTicks(4, 60*time.Second)
	// Long enough for the killed instance's jobs to be redelivered.
	if wait := e.ackWait - time.Since(killed); wait > 0 {
		time.Sleep(wait)
	}
	e.settle(2 * time.Minute)
	r := e.check()
	e.checkHealth(1 << 30)
	checkOncePerTick(t, e, len(e.inst), 4)
	t.Logf("scenario instance-killed: items served %d, alerts expected %d, found %d, duplicates %d, recovery %s",
		r.Served, r.Expected, r.Found, r.Duplicates, recovery.Round(time.Millisecond))
}

// TestNATSDown stops all three NATS nodes for 30 s while the farm keeps
// adding items, then starts them again on their stores: the instances stay
// up, reconnect, and every alert is in VIGIE_ALERTS exactly once.
func TestNATSDown(t *testing.T) {
	longRuns(t)
	e := newEnv(t, setup{Good: 24, Hosts: 4, Instances: 3, Cluster: true, Workers: 4, Delay: 100 * time.Millisecond})
	e.startTicks(2 * time.Second)
	e.waitTicks(3, 30*time.Second)

	waitInFlight(t, e.farm, "a", "b", "c")
	e.cluster.Stop()
	down := time.Now()
	time.Sleep(30 * time.Second)
	for _, in := range e.inst {
		if !in.Alive() {
			t.Fatalf("instance %s ended while NATS was down; see %s", in.Name, in.LogPath())
		}
		if !in.Healthy() {
			t.Errorf("instance %s: /healthz not 200 while NATS was down", in.Name)
		}
	}
	if err := e.cluster.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	pending := e.matchingBefore()
	recovery := e.waitAlerts(pending, 2*time.Minute)
	t.Logf("NATS down %s; alerts of the %d matching items added so far all in VIGIE_ALERTS %s after it came back",
		back.Sub(down).Round(time.Millisecond), len(pending), recovery.Round(time.Millisecond))
	e.waitTicks(2, 60*time.Second)
	e.settle(2 * time.Minute)
	r := e.check()
	e.checkHealth(1 << 30)
	checkOncePerTick(t, e, len(e.inst), 4*len(e.inst))
	t.Logf("scenario nats-down-30s: items served %d, alerts expected %d, found %d, duplicates %d, recovery %s",
		r.Served, r.Expected, r.Found, r.Duplicates, recovery.Round(time.Millisecond))
}

// TestSingleNodeRestart kills a single vigie with its embedded NATS server
// while it has a fetch in flight, and starts it again on the same data
// directory: nothing is lost, nothing is sent twice.
func TestSingleNodeRestart(t *testing.T) {
	longRuns(t)
	e := newEnv(t, setup{Good: 24, Hosts: 4, Instances: 1, Workers: 4, Delay: 300 * time.Millisecond})
	e.startTicks(2 * time.Second)
	e.waitTicks(3, 30*time.Second)

	waitInFlight(t, e.farm, "a")
	e.inst[0].Kill()
	killed := time.Now()
	time.Sleep(2 * time.Second)
	if err := e.inst[0].Start(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	pending := e.matchingBefore()
	recovery := e.waitAlerts(pending, 90*time.Second)
	t.Logf("killed, restarted %s later (ready); alerts of the %d matching items added so far all in VIGIE_ALERTS %s after the restart",
		restarted.Sub(killed).Round(time.Millisecond), len(pending), recovery.Round(time.Millisecond))
	e.waitTicks(3, 60*time.Second)
	e.settle(2 * time.Minute)
	r := e.check()
	e.checkHealth(1 << 30)
	checkOncePerTick(t, e, 2, 4)
	t.Logf("scenario single-node-restart: items served %d, alerts expected %d, found %d, duplicates %d, recovery %s",
		r.Served, r.Expected, r.Found, r.Duplicates, recovery.Round(time.Millisecond))
}

// TestNATSNodeStopsDuringDelivery runs two routes for the same alerts, a
// webhook and a Slack channel (a bot token's, one message per alert),
// whose receivers hold each delivery 250 ms. The NATS node that leads the
// webhook route's consumer is stopped while both routes have deliveries in
// flight, for two cycles, then started again; if another node leads the
// Slack route's consumer, that node is then stopped the same way while
// Slack posts are in flight. Every alert reaches each receiver exactly
// once: the acks of the deliveries in flight go to a node that is gone,
// and the alerts handed over again are known as delivered by their notes
// in vigie_deliveries and not posted twice.
func TestNATSNodeStopsDuringDelivery(t *testing.T) {
	longRuns(t)
	const hold = 250 * time.Millisecond
	e := newEnv(t, setup{Good: 24, Hosts: 4, Instances: 3, Cluster: true, Workers: 4, Delay: 100 * time.Millisecond,
		HookDelay: hold, Slack: true, SlackDelay: hold})
	e.startTicks(2 * time.Second)
	e.waitTicks(2, 30*time.Second)

	waitDelivering(t, "a webhook delivery and a Slack post", func() bool { return e.recv.InFlight() > 0 && e.slack.InFlight() > 0 })
	hookNode := e.leaderOf(alertsStream, "notify-harness")
	slackNode := e.leaderOf(alertsStream, "notify-"+slackRoute)
	down := e.stopDuring(hookNode)
	t.Logf("node n%d (leader of the webhook route's consumer; the Slack route's is n%d) down %s while both routes had deliveries in flight",
		hookNode+1, slackNode+1, down.Round(time.Millisecond))
	if slackNode != hookNode {
		waitDelivering(t, "a Slack post", func() bool { return e.slack.InFlight() > 0 })
		slackNode = e.leaderOf(alertsStream, "notify-"+slackRoute)
		down := e.stopDuring(slackNode)
		t.Logf("node n%d (leader of the Slack route's consumer) down %s while a post was in flight", slackNode+1, down.Round(time.Millisecond))
	}
	pending := e.matchingBefore()
	recovery := e.waitAlerts(pending, 60*time.Second)
	t.Logf("alerts of the %d matching items all in VIGIE_ALERTS %s after the last node came back", len(pending), recovery.Round(time.Millisecond))
	e.settle(90 * time.Second)
	r := e.check()
	if e.notified.repeats > 0 {
		t.Errorf("%d alerts were posted to the webhook receiver twice", e.notified.repeats)
	}
	e.checkHealth(1 << 30)
	t.Logf("scenario nats-node-stops-during-delivery: items served %d, alerts expected %d, found %d, duplicates %d, webhook deliveries %d (%d repeats), slack messages %d (%d repeats), recovery %s",
		r.Served, r.Expected, r.Found, r.Duplicates, e.notified.total, e.notified.repeats, e.notified.slackTotal, e.notified.slackRepeats, recovery.Round(time.Millisecond))
}

// stopDuring stops a NATS node for two cycles, starts it again, and
// returns how long it was down.
func (e *env) stopDuring(node int) time.Duration {
	e.t.Helper()
	e.cluster.StopNode(node)
	stopped := time.Now()
	e.waitTicks(2, 60*time.Second)
	if err := e.cluster.StartNode(node); err != nil {
		e.t.Fatal(err)
	}
	return time.Since(stopped)
}

// waitDelivering waits until ready reports deliveries held at the
// receivers. After a fault it may take the routes' ack wait (35 s with the
// default timeout): a delivery on its way to a connection the stop cut is
// pending until then, and a Slack route has one delivery in flight at a
// time.
func waitDelivering(t *testing.T, what string, ready func() bool) {
	t.Helper()
	const within = 60 * time.Second
	deadline := time.Now().Add(within)
	for !ready() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not in flight within %s", what, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
