package story

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigie-news/vigie"
)

// startAssigner runs an assigner over a store until the test ends.
func startAssigner(t *testing.T, store Store) *Assigner {
	t.Helper()
	a := NewAssigner(store, AssignerOptions{Now: func() time.Time { return day.Add(12 * time.Hour) }})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = a.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	if err := a.WaitReady(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a
}

func assign(t *testing.T, a *Assigner, in Input) *Story {
	t.Helper()
	s, err := a.Assign(t.Context(), in, Features(in))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eventReports are two reports, in two languages, of an event of its own:
// round r's states, names and numbers are its own.
func eventReports(r int) (Input, Input) {
	states := []string{"FR", "DE", "JP", "VN", "BR", "NG", "IN", "MX", "KE", "AR"}
	ents := vigie.Entities{States: []string{states[r%10], states[(r/10+r+1)%10]}, Orgs: []string{}}
	// Names whose sounds differ from round to round: consonants of
	// different classes (see sound), vowels between.
	cons := "bktmr"
	name := fmt.Sprintf("Ba%co%cu%cin", cons[r%5], cons[r/5%5], cons[r/25%5])
	a := Input{ID: fmt.Sprintf("en-%d", r), Feed: "en-feed", Lang: "en", Time: day, Entities: ents,
		Text: fmt.Sprintf("%s: %d.", name, 1000+r)}
	b := Input{ID: fmt.Sprintf("fr-%d", r), Feed: "fr-feed", Lang: "fr", Time: day, Entities: ents,
		Text: fmt.Sprintf("%s : %d.", name, 1000+r)}
	return a, b
}

// Two instances that see two reports of one event at the same moment put
// them in one story: the second write is refused, and its instance
// decides again with the first one's story.
func TestAssignersShareStories(t *testing.T) {
	store := NewMemStore()
	one, two := startAssigner(t, store), startAssigner(t, store)
	for r := range 30 {
		a, b := eventReports(r)
		var sa, sb *Story
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-start; sa = assign(t, one, a) })
		wg.Go(func() { <-start; sb = assign(t, two, b) })
		close(start)
		wg.Wait()
		if sa.ID != sb.ID {
			t.Fatalf("round %d: one event in stories %s and %s", r, sa.ID, sb.ID)
		}
		if sa.Len() != 2 && sb.Len() != 2 {
			t.Fatalf("round %d: the event's story has %d items: the rounds' events are not apart", r, max(sa.Len(), sb.Len()))
		}
	}
}

func TestAssignerRestart(t *testing.T) {
	store := NewMemStore()
	first := startAssigner(t, store)
	a, b := eventReports(1)
	sa := assign(t, first, a)
	// Another instance, or this one started again, finds the story.
	again := startAssigner(t, store)
	if s := assign(t, again, a); s.ID != sa.ID || s.Len() != 1 {
		t.Errorf("the same item after a restart: story %s of %d, want %s of 1", s.ID, s.Len(), sa.ID)
	}
	if s := assign(t, again, b); s.ID != sa.ID || s.Len() != 2 {
		t.Errorf("a report of the story after a restart: story %s of %d, want %s of 2", s.ID, s.Len(), sa.ID)
	}
}

// expiringStore is a store whose latest writes expired: its last
// position is behind what its watchers saw.
type expiringStore struct {
	*MemStore
	mu      sync.Mutex
	expired bool
}

func (e *expiringStore) Last(ctx context.Context) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	last, err := e.MemStore.Last(ctx)
	if e.expired {
		return last - 1, err
	}
	return last, err
}

func (e *expiringStore) Put(ctx context.Context, r Record, at uint64) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.expired {
		last, _ := e.MemStore.Last(ctx)
		if at != last-1 {
			return 0, ErrConflict
		}
		e.expired = false
		return e.MemStore.Put(ctx, r, last)
	}
	return e.MemStore.Put(ctx, r, at)
}

func TestAssignerAfterExpiry(t *testing.T) {
	store := &expiringStore{MemStore: NewMemStore()}
	a := startAssigner(t, store)
	x, y := eventReports(1)
	assign(t, a, x)
	store.mu.Lock()
	store.expired = true
	store.mu.Unlock()
	z, _ := eventReports(2)
	if s := assign(t, a, z); s.Len() != 1 {
		t.Errorf("a new event joined a story of %d", s.Len())
	}
	if s := assign(t, a, y); s.Len() != 2 {
		t.Errorf("a report of the first event: story of %d, want 2", s.Len())
	}
}

// tooLargeStore refuses every record as too large.
type tooLargeStore struct{ *MemStore }

func (tooLargeStore) Put(context.Context, Record, uint64) (uint64, error) { return 0, ErrTooLarge }

// A record the store cannot hold does not hold its item back: the item
// keeps the story it was given.
func TestAssignerStoryTooLarge(t *testing.T) {
	a := startAssigner(t, tooLargeStore{NewMemStore()})
	x, _ := eventReports(1)
	if s := assign(t, a, x); s.ID != NewID(x.ID) || s.Len() != 1 {
		t.Errorf("story %s of %d, want its own", s.ID, s.Len())
	}
}

// lazyStore hands its changes over to be read on demand, as the NATS
// store does, and counts the stories read.
type lazyStore struct {
	*MemStore
	loads atomic.Int64
}

func (l *lazyStore) Watch(ctx context.Context) (<-chan Change, error) {
	in, err := l.MemStore.Watch(ctx)
	if err != nil {
		return nil, err
	}
	out := make(chan Change)
	go func() {
		defer close(out)
		for c := range in {
			if r := c.Record; r != nil && !c.Removed {
				c.Record, c.Load = nil, func() (*Record, error) { l.loads.Add(1); return r, nil }
			}
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// TestAssignerReadsOthersWritesOnly checks that an assigner does not read
// back the records it wrote itself, and reads those of another instance.
func TestAssignerReadsOthersWritesOnly(t *testing.T) {
	store := &lazyStore{MemStore: NewMemStore()}
	one, two := startAssigner(t, store), startAssigner(t, store)
	const rounds = 20
	for r := range rounds {
		a, _ := eventReports(r)
		assign(t, one, a)
	}
	// two learns of one's stories through the watch, reading each.
	deadline := time.Now().Add(10 * time.Second)
	for len(two.Open()) < rounds && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(two.Open()); n != rounds {
		t.Fatalf("the other instance holds %d stories, want %d", n, rounds)
	}
	// Every change went to both; the writer read none of its own, even
	// those its watch brought before the store answered its write.
	if n := store.loads.Load(); n != rounds {
		t.Errorf("%d records read from the store, want %d (the other instance's copies only)", n, rounds)
	}
	if got := len(one.Open()); got != rounds {
		t.Errorf("the writer holds %d stories, want %d", got, rounds)
	}
}
