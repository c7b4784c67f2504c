// Package memlimit gives the Go runtime a soft memory limit that follows
// the live heap, when the environment sets none (GOMEMLIMIT).
//
// The collector lets the heap grow to twice its live part (GOGC=100)
// before it collects; for a daemon whose live heap is hundreds of
// megabytes, that doubles its resident memory. A fixed limit would be
// wrong for some size of configuration: a limit below the live heap makes
// the collector run without end. The limit here is always above the live
// heap, by a quarter of it and at least MinHeadroom, so that it bounds the
// growth without starving the collector, and it moves with the live heap;
// it is never below Floor, under which the collector is left to GOGC.
package memlimit

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// MinHeadroom is the least room the limit leaves above the live heap and
// the runtime's other memory.
const MinHeadroom = 64 << 20

// Floor is the least limit. Below it the collector is left to GOGC alone:
// while the heap is small (at start, with few feeds) a limit that follows
// the live heap closely would make it collect several times as often for
// little memory. Above it the limit follows the live heap, so the floor
// never holds a large configuration below its live heap.
const Floor = 352 << 20

// Limit is the soft limit for a live heap of live bytes and other bytes
// of memory the runtime holds beside the heap (stacks, its own
// structures): the live heap and a quarter more, at least MinHeadroom
// more, and never below Floor.
func Limit(live, other uint64) int64 {
	const most = math.MaxInt64
	head := max(live/4, MinHeadroom)
	if live > most-head || other > most-head-live {
		return most
	}
	return max(int64(live+head+other), Floor)
}

// Enabled reports whether Follow would set a limit: not when GOMEMLIMIT
// sets one, nor when GOGC=off asks for no collection.
func Enabled(getenv func(string) string) bool {
	return getenv("GOMEMLIMIT") == "" && getenv("GOGC") != "off"
}

// Follow sets the limit from the live heap every interval until ctx ends,
// and then takes it off. It does nothing when Enabled is false. The limit
// is changed only when it moves by more than a sixteenth, since setting
// it stops the world for a moment.
func Follow(ctx context.Context, interval time.Duration) {
	if !Enabled(os.Getenv) {
		return
	}
	defer debug.SetMemoryLimit(math.MaxInt64)
	t := time.NewTicker(interval)
	defer t.Stop()
	s := newSampler()
	var set int64
	for {
		if live, other, ok := s.read(); ok {
			if l := Limit(live, other); moved(set, l) {
				debug.SetMemoryLimit(l)
				set = l
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// moved reports whether next differs from the limit set by more than a
// sixteenth of it (or no limit was set yet).
func moved(set, next int64) bool {
	d := next - set
	return set == 0 || d > set/16 || -d > set/16
}

// The runtime metrics read: the live heap as the last collection marked
// it, and what the limit counts (all mapped memory but what was released
// to the system) minus the heap's spans, which leaves stacks and the
// runtime's own structures.
var names = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

type sampler []metrics.Sample

func newSampler() sampler {
	s := make(sampler, len(names))
	for i, name := range names {
		s[i].Name = name
	}
	return s
}

// read returns the live heap and the memory beside the heap; ok is false
// before the first collection.
func (s sampler) read() (live, other uint64, ok bool) {
	metrics.Read(s)
	var v [6]uint64
	for i, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return 0, 0, false
		}
		v[i] = x.Value.Uint64()
	}
	live, total := v[0], v[1]
	if live == 0 {
		return 0, 0, false
	}
	if heap := v[2] + v[3] + v[4] + v[5]; total > heap {
		other = total - heap
	}
	return live, other, true
}
