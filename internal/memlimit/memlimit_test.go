package memlimit

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	const mb = 1 << 20
	for _, tt := range []struct {
		live, other uint64
		want        int64
	}{
		{0, 0, Floor},
		{100 * mb, 10 * mb, Floor},         // a small heap is left to GOGC
		{380 * mb, 10 * mb, 485 * mb},      // a quarter is more than the least headroom
		{400 * mb, 30 * mb, 530 * mb},      // a quarter more
		{4000 * mb, 30 * mb, 5030 * mb},    // it scales with the live heap
		{math.MaxUint64, 0, math.MaxInt64}, // no overflow
	} {
		if got := Limit(tt.live, tt.other); got != tt.want {
			t.Errorf("Limit(%d MB, %d MB) = %d MB, want %d MB", tt.live/mb, tt.other/mb, got/mb, tt.want/mb)
		}
		if got := Limit(tt.live, tt.other); uint64(got) <= tt.live && tt.live < math.MaxInt64 {
			t.Errorf("Limit(%d) = %d is not above the live heap", tt.live, got)
		}
	}
}

func TestEnabled(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, true},
		{map[string]string{"GOGC": "50"}, true},
		{map[string]string{"GOMEMLIMIT": "640MiB"}, false},
		{map[string]string{"GOGC": "off"}, false},
	} {
		if got := Enabled(env(tt.env)); got != tt.want {
			t.Errorf("Enabled(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}

func TestMoved(t *testing.T) {
	if !moved(0, 100) || moved(1600, 1650) || !moved(1600, 1800) || !moved(1600, 1400) {
		t.Error("moved: want a change only beyond a sixteenth")
	}
}

func TestSamplerReadsLiveHeap(t *testing.T) {
	keep := make([]byte, 32<<20)
	runtime.GC()
	live, other, ok := newSampler().read()
	runtime.KeepAlive(keep)
	if !ok || live < 32<<20 || other == 0 {
		t.Errorf("read = %d live, %d other, ok %v; want at least the 32 MB kept", live, other, ok)
	}
}

// Follow sets a limit above the live heap, and takes it off when done.
func TestFollow(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	runtime.GC()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Follow(ctx, time.Millisecond); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if time.Now().After(deadline) {
			t.Fatal("no limit set")
		}
		time.Sleep(time.Millisecond)
	}
	live, _, _ := newSampler().read()
	if got := debug.SetMemoryLimit(-1); uint64(got) <= live+MinHeadroom || got < Floor {
		t.Errorf("limit %d, want above the live heap %d and the headroom", got, live)
	}
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit %d after Follow returned, want none", got)
	}
}
