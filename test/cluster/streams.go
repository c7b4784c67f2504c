package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie"
)

// Names of the daemon's streams and consumer, as documented in README.md.
const (
	alertsStream = "VIGIE_ALERTS"
	itemsStream  = "VIGIE_ITEMS"
	jobsStream   = "VIGIE_JOBS"
)

// Connect opens a harness connection that keeps reconnecting through faults.
func Connect(urls string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(urls, nats.Name("vigie-harness"), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// Ticker runs the harness's cycles: each period it calls a function (the
// farm adds items), in step with the daemon's "@every" schedule.
type Ticker struct {
	Ticks atomic.Int64 // cycles done
	stop  chan struct{}
	wg    sync.WaitGroup
}

// StartTicker calls each(n) every period, n counting from 1.
func StartTicker(period time.Duration, each func(n int)) *Ticker {
	t := &Ticker{stop: make(chan struct{})}
	t.wg.Go(func() {
		tk := time.NewTicker(period)
		defer tk.Stop()
		for n := 1; ; n++ {
			select {
			case <-t.stop:
				return
			case <-tk.C:
			}
			each(n)
			t.Ticks.Add(1)
		}
	})
	return t
}

// Stop stops the ticker and waits for its last cycle.
func (t *Ticker) Stop() {
	close(t.stop)
	t.wg.Wait()
}

// LastJob is the sequence of the last job put on the work queue.
func LastJob(ctx context.Context, js jetstream.JetStream) (uint64, error) {
	s, err := js.Stream(ctx, jobsStream)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

// JobsDoneUpTo reports whether every job up to seq has been acknowledged:
// the work queue removes a job only then, redelivered ones included.
func JobsDoneUpTo(ctx context.Context, js jetstream.JetStream, seq uint64) (bool, error) {
	s, err := js.Stream(ctx, jobsStream)
	if err != nil {
		return false, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return false, err
	}
	return info.State.Msgs == 0 || info.State.FirstSeq > seq, nil
}

// ConsumerLeader is the name of the node that leads a consumer.
func ConsumerLeader(ctx context.Context, js jetstream.JetStream, stream, consumer string) (string, error) {
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return "", err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", fmt.Errorf("consumer %s of %s has no leader", consumer, stream)
	}
	return info.Cluster.Leader, nil
}

// Count is what a stream holds for each farm item: how many messages.
type Count struct {
	PerKey  map[string]int // item key (feed/n) -> messages
	Foreign int            // messages that do not trace back to a farm item
	Total   int
	Bytes   uint64 // the stream's size
}

// ReadStream reads every message of a stream and counts them per farm item,
// traced by the item's link (http://host/item/<feed>/<n>).
func ReadStream(ctx context.Context, js jetstream.JetStream, stream string) (Count, error) {
	c := Count{PerKey: map[string]int{}}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return c, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return c, err
	}
	c.Bytes = info.State.Bytes
	if info.State.Msgs == 0 {
		return c, nil
	}
	last := info.State.LastSeq
	var next uint64 = info.State.FirstSeq
	// An ordered consumer is ephemeral: on a cluster under load it may be
	// gone between two fetches; start a new one where the last one stopped.
	for failures := 0; next <= last; {
		err := readFrom(ctx, s, &next, last, &c)
		if err == nil {
			continue
		}
		if failures++; failures > 5 || ctx.Err() != nil {
			return c, err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return c, nil
}

// readFrom reads messages from *next on, up to last, and counts them.
func readFrom(ctx context.Context, s jetstream.Stream, next *uint64, last uint64, c *Count) error {
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   *next,
	})
	if err != nil {
		return err
	}
	for *next <= last {
		// Ask for no more than what is left, so that the batch is
		// complete at once rather than after the wait.
		batch, err := cons.Fetch(int(min(500, last-*next+1)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			*next = md.Sequence.Stream + 1
			var it vigie.Item
			c.Total++
			if err := json.Unmarshal(m.Data(), &it); err != nil {
				c.Foreign++
				continue
			}
			if _, key, ok := strings.Cut(it.URL, "/item/"); ok {
				c.PerKey[key]++
			} else {
				c.Foreign++
			}
		}
		if n == 0 {
			if batch.Error() != nil {
				return batch.Error()
			}
			return fmt.Errorf("no message after sequence %d of %d", *next-1, last)
		}
	}
	return nil
}

// Result compares what the farm served with what a stream holds.
type Result struct {
	Stream     string
	Served     int // items served (of the kind counted)
	Expected   int
	Found      int // expected items present at least once
	Missing    []string
	Duplicates int // copies beyond the first
	Unexpected int // messages for items not expected
}

func (r Result) String() string {
	return fmt.Sprintf("%s: served %d, expected %d, found %d, missing %d, duplicates %d, unexpected %d",
		r.Stream, r.Served, r.Expected, r.Found, len(r.Missing), r.Duplicates, r.Unexpected)
}

// Compare checks a stream against the farm's items: want selects the
// items that must be there exactly once.
func Compare(stream string, items []Item, c Count, want func(Item) bool) Result {
	r := Result{Stream: stream}
	expected := map[string]bool{}
	for _, it := range items {
		if !it.Served {
			continue
		}
		r.Served++
		if want(it) {
			expected[it.Key] = true
		}
	}
	r.Expected = len(expected)
	for key, n := range c.PerKey {
		if !expected[key] {
			r.Unexpected += n
			continue
		}
		r.Found++
		r.Duplicates += n - 1
	}
	r.Unexpected += c.Foreign
	for _, key := range sortedKeys(expected) {
		if c.PerKey[key] == 0 {
			r.Missing = append(r.Missing, key)
		}
	}
	return r
}
