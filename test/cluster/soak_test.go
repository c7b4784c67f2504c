package cluster

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestSoak runs a few thousand feeds on the daemon's own schedule (every
// minute) for VIGIE_SOAK (a duration, e.g. 10m), adding items every cycle,
// with three instances on a three-node cluster (R3). It logs each
// instance's RSS, CPU and goroutines over time, and checks at the end that
// alerts in equal alerts out, each exactly once. VIGIE_SOAK_FEEDS sets the
// number of feeds (default 3000). Run by hand: see README.md.
func TestSoak(t *testing.T) {
	length, err := time.ParseDuration(os.Getenv("VIGIE_SOAK"))
	if err != nil {
		t.Skip("set VIGIE_SOAK=10m to run the soak")
	}
	feeds, initial := 3000, 1
	if n, err := strconv.Atoi(os.Getenv("VIGIE_SOAK_FEEDS")); err == nil && n > 0 {
		feeds = n
	}
	if n, err := strconv.Atoi(os.Getenv("VIGIE_SOAK_ITEMS")); err == nil && n > 1 {
		initial = n
	}
	e := newEnv(t, setup{Good: feeds, Hosts: 16, Instances: 3, Cluster: true, Workers: 16,
		Delay: 50 * time.Millisecond, Window: 50, Schedule: "* * * * *", AckWait: -1})
	// Real feeds carry 10 to 50 items: VIGIE_SOAK_ITEMS gives each feed
	// more items from the start, so that every fetch parses and looks up
	// as many.
	if initial > 1 {
		e.farm.AddItems(initial-1, 1, 0, 4)
	}
	begin := time.Now()
	cpu0 := e.cpu()
	self0, _ := procUsage(os.Getpid())
	t.Logf("soak: %d good feeds and %d faulty ones, %d instances, for %s", feeds, len(FaultyKinds), len(e.inst), length)

	// Items come every minute at the half-minute, so that they land between
	// two ticks; a third of the feeds get one each time, one in four
	// matching.
	e.adding = true
	stop := make(chan struct{})
	var wg sync.WaitGroup
	added := 0
	wg.Go(func() {
		for cycle := 0; ; cycle++ {
			next := time.Now().Truncate(time.Minute).Add(90 * time.Second)
			if time.Until(next) > time.Minute {
				next = next.Add(-time.Minute)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Until(next)):
			}
			e.addMu.Lock()
			if e.adding {
				added += e.farm.AddItems(1, 3, cycle%3, 4)
			}
			e.addMu.Unlock()
		}
	})
	// Samples of the counters, for the steady rates of the second half.
	type point struct {
		at      time.Time
		fetches int
		cpu     time.Duration
		items   uint64
	}
	var points []point
	sample := func() {
		var line []any
		for _, in := range e.inst {
			u, _ := in.Usage()
			line = append(line, in.Name, u.RSS>>20, u.CPU.Round(time.Second), in.Metric("go_goroutines"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		alerts, items := streamMsgs(ctx, e, alertsStream), streamMsgs(ctx, e, itemsStream)
		minS, maxS, gap := e.farm.GoodStats()
		fetches := 0
		for _, n := range e.farm.Requests() {
			fetches += n
		}
		points = append(points, point{time.Now(), fetches, e.cpu(), items})
		t.Logf("t=%4.0fs %s rss=%dMiB cpu=%s goroutines=%.0f | %s rss=%dMiB cpu=%s goroutines=%.0f | %s rss=%dMiB cpu=%s goroutines=%.0f | items %d alerts %d | fetched %d-%d each, longest gap %s",
			append(append([]any{time.Since(begin).Seconds()}, line...), items, alerts, minS, maxS, gap.Round(time.Second))...)
	}
	every := time.NewTicker(30 * time.Second)
	for end := time.After(length); ; {
		select {
		case <-every.C:
			sample()
			continue
		case <-end:
		}
		break
	}
	every.Stop()
	e.stopAdding()
	close(stop)
	wg.Wait()
	e.settle(4 * time.Minute)
	elapsed := time.Since(begin)
	sample()
	r := e.check()
	e.checkHealth(2 << 30)
	cpu := e.cpu() - cpu0
	self, _ := procUsage(os.Getpid())
	fetches := 0
	for _, n := range e.farm.Requests() {
		fetches += n
	}
	t.Logf("soak: %s, %d fetches (%.1f/s), %d items served (%d added during the run), %d alerts expected, %d found, %d duplicates",
		elapsed.Round(time.Second), fetches, float64(fetches)/elapsed.Seconds(), r.Served, added, r.Expected, r.Found, r.Duplicates)
	t.Logf("soak: instances' CPU %s in all: %.2f ms per fetch, %.2f ms per item", cpu.Round(10*time.Millisecond),
		float64(cpu.Milliseconds())/float64(fetches), float64(cpu.Milliseconds())/float64(max(r.Served, 1)))
	if len(points) >= 4 {
		// From the middle sample to the last one taken before settling.
		a, b := points[len(points)/2], points[len(points)-2]
		secs := b.at.Sub(a.at).Seconds()
		df, di := b.fetches-a.fetches, int(b.items-a.items)
		t.Logf("soak, second half (%.0fs): %.1f fetches/s, %.1f new items/s, instances' CPU %.3f cores: %.2f ms per fetch with its items",
			secs, float64(df)/secs, float64(di)/secs, (b.cpu-a.cpu).Seconds()/secs, float64((b.cpu-a.cpu).Milliseconds())/float64(max(df, 1)))
	}
	t.Logf("soak: the test process (three NATS nodes and the farm) used %s of CPU, rss %d MiB",
		(self.CPU - self0.CPU).Round(10*time.Millisecond), self.RSS>>20)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, name := range []string{itemsStream, alertsStream, jobsStream, "KV_vigie_seen", "KV_vigie_feeds"} {
		s, err := e.js.Stream(ctx, name)
		if err != nil {
			t.Errorf("stream %s: %v", name, err)
			continue
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Errorf("stream %s: %v", name, err)
			continue
		}
		per := 0.0
		if info.State.Msgs > 0 {
			per = float64(info.State.Bytes) / float64(info.State.Msgs)
		}
		t.Logf("nats: %s holds %d messages, %d bytes (%.0f bytes each), per replica", name, info.State.Msgs, info.State.Bytes, per)
	}
	var disk int64
	filepath.WalkDir(filepath.Join(e.dir, "nats"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				disk += fi.Size()
			}
		}
		return nil
	})
	t.Logf("nats: %d MiB on disk over the three nodes", disk>>20)
}

// cpu is the CPU time of every running instance.
func (e *env) cpu() time.Duration {
	var sum time.Duration
	for _, in := range e.inst {
		if u, err := in.Usage(); err == nil {
			sum += u.CPU
		}
	}
	return sum
}

func streamMsgs(ctx context.Context, e *env, name string) uint64 {
	s, err := e.js.Stream(ctx, name)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}
