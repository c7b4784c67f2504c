// Command scale measures what a cycle of many feeds costs `vigie run`: it
// serves the feeds from loopback hosts, starts the daemon as a child process
// on a configuration of its own, and reports the cold cycle (from the start
// of the process until every feed was fetched once and every item
// published) and the warm cycles that follow (every answer a 304), each with
// its wall time, the daemon's CPU seconds, its peak RSS, the feeds fetched
// and the items published. It uses only Vigie's public contract (the
// command line, the configuration, /metrics and the VIGIE_ITEMS stream), so
// that the same command measures any build:
//
//	go run ./test/scale -feeds 10000 -hosts 1000
//	go run ./test/scale -vigie /tmp/vigie-old   # a binary built elsewhere
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigie-news/vigie/internal/feedfarm"
)

type options struct {
	feeds, hosts, items int
	warm                int
	vigie               string
	dir                 string
	gap                 time.Duration
	coldBudget          time.Duration
	timeout             time.Duration
	keep                bool
}

func main() {
	var o options
	flag.IntVar(&o.feeds, "feeds", 10000, "feeds to serve")
	flag.IntVar(&o.hosts, "hosts", 1000, "loopback hosts (127.10.x.y) to spread them over")
	flag.IntVar(&o.items, "items", 2, "items per feed")
	flag.IntVar(&o.warm, "warm", 1, "warm cycles to measure after the cold one")
	flag.StringVar(&o.vigie, "vigie", "", "the vigie binary to measure (default: built from this module)")
	flag.StringVar(&o.dir, "dir", "", "working directory: feeds.yaml, data/, vigie.log (default: a temporary one)")
	flag.DurationVar(&o.gap, "gap", 2*time.Minute, "time between the starts of two warm cycles (whole minutes)")
	flag.DurationVar(&o.coldBudget, "cold-budget", 120*time.Second, "time left for the cold cycle: the first warm cycle begins at the first minute after it")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up on a cycle after this long")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./test/scale [flags]\n\n"+
			"Serves -feeds feeds (-items items each) from -hosts loopback hosts, runs `vigie run` on them\n"+
			"as a child process and prints one line per cycle: wall seconds, the daemon's CPU seconds\n"+
			"(user+sys, from /proc), its peak RSS (VmHWM), feeds fetched and items published.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.dir == "" {
		dir, err := os.MkdirTemp("", "vigie-scale-")
		if err != nil {
			return err
		}
		o.dir = dir
		if !o.keep {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	if o.vigie == "" {
		o.vigie = filepath.Join(o.dir, "vigie")
		fmt.Printf("building vigie into %s\n", o.vigie)
		build := exec.CommandContext(ctx, "go", "build", "-o", o.vigie, "github.com/vigie-news/vigie/cmd/vigie")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}
	fm, err := feedfarm.Start(feedfarm.Options{Feeds: o.feeds, Hosts: o.hosts, Items: o.items, Item: item})
	if err != nil {
		return err
	}
	defer fm.Close()
	natsAddr, httpAddr := freeAddr(), freeAddr()
	if natsAddr == "" || httpAddr == "" {
		return fmt.Errorf("no free loopback port")
	}
	// The warm cycles begin at ticks of a cron spec that names their
	// minutes: the first a minute after the cold cycle's budget, the
	// others -gap apart, and one more in case the cold cycle overruns.
	start := time.Now()
	ticks := warmTicks(start, o.coldBudget, o.gap, o.warm+1)
	cfgPath := filepath.Join(o.dir, "feeds.yaml")
	if err := writeConfig(cfgPath, fm.URLs, natsAddr, httpAddr, cronSpec(ticks)); err != nil {
		return err
	}

	logf, err := os.Create(filepath.Join(o.dir, "vigie.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(o.vigie, "run", "--config", cfgPath, "--log-format", "json")
	cmd.Dir = o.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	start = time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start vigie: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	fmt.Printf("vigie %s (pid %d): %d feeds on %d loopback hosts, %d items each, schedule %q; log in %s\n",
		o.vigie, cmd.Process.Pid, o.feeds, o.hosts, o.items, cronSpec(ticks), logf.Name())

	p := &probe{pid: cmd.Process.Pid, natsURL: "nats://" + natsAddr, metricsURL: "http://" + httpAddr + "/metrics", farm: fm, exited: exited}
	defer p.closeNATS()
	want := cycle{feeds: o.feeds, items: o.feeds * o.items}

	cold, err := p.measure(ctx, "cold", start, want, o.timeout, func(s, _ sample) bool {
		return s.full >= int64(o.feeds) && s.items >= int64(want.items)
	})
	if err != nil {
		return err
	}
	fmt.Println(cold)
	for i := 0; i < o.warm; {
		if len(ticks) == 0 {
			return fmt.Errorf("no tick left for the warm cycles: raise -cold-budget")
		}
		tick := ticks[0]
		ticks = ticks[1:]
		if time.Now().After(tick) {
			fmt.Printf("note: the cold cycle overran the tick of %s: the next one is measured (raise -cold-budget)\n", tick.Format("15:04"))
			continue
		}
		// The counters are read before the tick: the first fetches of
		// the cycle follow it within milliseconds.
		select {
		case <-time.After(time.Until(tick.Add(-2 * time.Second))):
		case <-ctx.Done():
			return ctx.Err()
		case err := <-exited:
			return fmt.Errorf("vigie exited: %w (see %s)", err, logf.Name())
		}
		i++
		w, err := p.measure(ctx, fmt.Sprintf("warm%d", i), tick, cycle{feeds: o.feeds}, o.timeout, func(s, before sample) bool {
			return s.notModified-before.notModified >= int64(o.feeds)
		})
		if err != nil {
			return err
		}
		fmt.Println(w)
	}
	return nil
}

// warmTicks are n whole minutes, the first at least budget after start,
// the others gap apart.
func warmTicks(start time.Time, budget, gap time.Duration, n int) []time.Time {
	gap = max(gap.Round(time.Minute), time.Minute)
	first := start.Add(budget).Truncate(time.Minute).Add(time.Minute)
	ticks := make([]time.Time, n)
	for i := range ticks {
		ticks[i] = first.Add(time.Duration(i) * gap)
	}
	return ticks
}

// cronSpec is a cron spec that fires at the minutes of ticks (within an
// hour of each other).
func cronSpec(ticks []time.Time) string {
	var minutes []string
	for _, t := range ticks {
		minutes = append(minutes, strconv.Itoa(t.UTC().Minute()))
	}
	return strings.Join(minutes, ",") + " * * * *"
}

// freeAddr is a loopback address with a port free now.
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

// writeConfig writes the daemon's configuration: the embedded NATS server
// and /metrics on the given addresses, every feed on the same schedule. The
// farm's items carry their whole text (fulltext: never): reading their
// pages would measure the host gap, one request a second to each host,
// rather than the daemon's work.
func writeConfig(path string, urls []string, natsAddr, httpAddr, schedule string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "nats:\n  listen: %s\ndata_dir: ./data\nhttp:\n  listen: %s\ndefaults:\n  schedule: %q\n  fulltext: never\nfeeds:\n",
		natsAddr, httpAddr, schedule)
	for i, u := range urls {
		fmt.Fprintf(&b, "  - id: scale-%05d\n    url: %s\n", i, u)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
