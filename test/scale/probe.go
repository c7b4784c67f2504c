package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/feedfarm"
)

// probe observes the daemon from outside: the farm's answers, the
// VIGIE_ITEMS stream, /metrics and /proc.
type probe struct {
	pid        int
	natsURL    string
	metricsURL string
	farm       *feedfarm.Farm
	exited     <-chan error
	nc         *nats.Conn
	js         jetstream.JetStream
}

// sample is what the probe sees at one moment.
type sample struct {
	at                time.Time
	full, notModified int64 // the farm's answers so far
	items             int64 // messages in VIGIE_ITEMS
	cpu               time.Duration
	hwm, rss          int64 // bytes
}

// cycle is what a cycle is expected to do.
type cycle struct{ feeds, items int }

// result is a measured cycle.
type result struct {
	name             string
	wall, cpu        time.Duration
	hwm              int64
	fetched          map[string]int64 // vigie_fetches_total by result, over the cycle
	items, feeds     int64
	wantFeeds, wantI int
}

func (r result) String() string {
	var res []string
	for k, v := range r.fetched {
		res = append(res, fmt.Sprintf("%s=%d", k, v))
	}
	return fmt.Sprintf("%-5s wall %6.1f s  cpu %6.1f s  peak RSS %4d MiB  feeds fetched %d/%d (%s)  items published %d/%d",
		r.name, r.wall.Seconds(), r.cpu.Seconds(), r.hwm>>20, r.feeds, r.wantFeeds, strings.Join(res, " "), r.items, r.wantI)
}

// measure waits until done holds, polling ten times a second, then reads
// /metrics once the daemon says it fetched the cycle's feeds, and returns
// the cycle from start.
func (p *probe) measure(ctx context.Context, name string, start time.Time, want cycle, timeout time.Duration, done func(now, before sample) bool) (result, error) {
	before, err := p.sample(ctx, name != "cold")
	if err != nil {
		return result{}, err
	}
	if name == "cold" {
		before = sample{}
	}
	m0, err := p.fetches(ctx)
	if err != nil && name != "cold" {
		return result{}, err
	}
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return result{}, ctx.Err()
		case err := <-p.exited:
			return result{}, fmt.Errorf("vigie exited during the %s cycle: %w", name, err)
		case <-deadline:
			s, _ := p.sample(ctx, true)
			return result{}, fmt.Errorf("%s cycle not done after %s: farm answered %d full and %d not modified, %d items in VIGIE_ITEMS",
				name, timeout, s.full-before.full, s.notModified-before.notModified, s.items-before.items)
		case <-tick.C:
		}
		s, err := p.sample(ctx, true)
		if err != nil || !done(s, before) {
			continue
		}
		// The farm has answered: wait for the daemon to count the fetches.
		m, err := p.fetches(ctx)
		if err != nil || total(m)-total(m0) < int64(want.feeds) {
			continue
		}
		end := time.Now()
		s, _ = p.sample(ctx, true)
		diff := map[string]int64{}
		for k, v := range m {
			if d := v - m0[k]; d > 0 {
				diff[k] = d
			}
		}
		return result{
			name: name, wall: end.Sub(start), cpu: s.cpu - before.cpu, hwm: s.hwm,
			fetched: diff, feeds: total(m) - total(m0), items: s.items - before.items,
			wantFeeds: want.feeds, wantI: want.items,
		}, nil
	}
}

func total(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}

// sample reads the counters; withItems asks the NATS server too.
func (p *probe) sample(ctx context.Context, withItems bool) (sample, error) {
	s := sample{at: time.Now(), full: p.farm.Full.Load(), notModified: p.farm.NotModified.Load()}
	var err error
	if s.cpu, err = cpuOf(p.pid); err != nil {
		return s, err
	}
	if s.hwm, s.rss, err = memOf(p.pid); err != nil {
		return s, err
	}
	if withItems {
		s.items, _ = p.items(ctx)
	}
	return s, nil
}

// items is the number of messages in VIGIE_ITEMS, connecting to the
// daemon's embedded server on first use.
func (p *probe) items(ctx context.Context) (int64, error) {
	if p.js == nil {
		nc, err := nats.Connect(p.natsURL, nats.Name("vigie-scale-probe"))
		if err != nil {
			return 0, err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			nc.Close()
			return 0, err
		}
		p.nc, p.js = nc, js
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := p.js.Stream(cctx, "VIGIE_ITEMS")
	if err != nil {
		return 0, err
	}
	info, err := st.Info(cctx)
	if err != nil {
		return 0, err
	}
	return int64(info.State.Msgs), nil
}

func (p *probe) closeNATS() {
	if p.nc != nil {
		p.nc.Close()
	}
}

// fetches sums vigie_fetches_total over the feeds, by result.
func (p *probe) fetches(ctx context.Context) (map[string]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "vigie_fetches_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `result="`)
		res, _, _ := strings.Cut(rest, `"`)
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			out[res] += int64(v)
		}
	}
	return out, sc.Err()
}

// cpuOf is the user and system CPU time of a process so far.
func cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count from the
	// closing one. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ, 100 on Linux
	return time.Duration(utime+stime) * time.Second / hz, nil
}

// memOf is the peak and current resident set of a process.
func memOf(pid int) (hwm, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmHWM":
			hwm = kb << 10
		case "VmRSS":
			rss = kb << 10
		}
	}
	return hwm, rss, nil
}
