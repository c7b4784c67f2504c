package story

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Store keeps the stories where every instance of Vigie sees them. Its
// writes are in one order, numbered by position: a write is accepted only
// from an instance that has seen every write before it (compare and set
// on the whole store), so that two instances that see two reports of one
// event at once cannot start two stories.
type Store interface {
	// Watch sends every stored story, then a Change with Ready set, then
	// each story written after, in the order of their positions, until
	// ctx ends; it closes the channel when it stops (ctx ended, or the
	// store is unreachable: watch again).
	Watch(ctx context.Context) (<-chan Change, error)
	// Put writes a story if the store's last position is at. It returns
	// the story's position, or ErrConflict when another write came first.
	Put(ctx context.Context, s *Story, at uint64) (uint64, error)
	// Last returns the store's last position: where the next Put must be.
	Last(ctx context.Context) (uint64, error)
}

// Change is a story written to a store, at position Pos; or, with Ready
// set, the end of the stories stored when Watch began.
type Change struct {
	Story *Story
	// Load, set when Story is nil, reads the story from its stored form:
	// a store may leave that to the assigner, which passes over most of
	// its own writes without reading them.
	Load func() (*Story, error)
	Pos  uint64
	// Removed is set when the story was taken out of the store.
	Removed bool
	Ready   bool
}

// ErrConflict is Put's answer when the store has changed since the
// position it was given.
var ErrConflict = errors.New("story store changed since it was read")

// ErrTooLarge is Put's answer when the store cannot hold a story that
// large (a message over the NATS server's max_payload).
var ErrTooLarge = errors.New("story too large to store")

// MemStore is a Store in memory, for one process: `vigie once` and tests.
type MemStore struct {
	mu       sync.Mutex
	stories  map[string]*Story
	pos      map[string]uint64
	last     uint64
	watchers []chan Change
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{stories: map[string]*Story{}, pos: map[string]uint64{}}
}

// Watch implements Store.
func (m *MemStore) Watch(ctx context.Context) (<-chan Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := make([]string, 0, len(m.stories))
	for id := range m.stories {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return int(m.pos[a]) - int(m.pos[b]) })
	ch := make(chan Change, len(ids)+1024)
	for _, id := range ids {
		ch <- Change{Story: m.stories[id].clone(), Pos: m.pos[id]}
	}
	ch <- Change{Ready: true, Pos: m.last}
	m.watchers = append(m.watchers, ch)
	go func() {
		<-ctx.Done()
		m.mu.Lock()
		defer m.mu.Unlock()
		if i := slices.Index(m.watchers, ch); i >= 0 {
			m.watchers = slices.Delete(m.watchers, i, i+1)
			close(ch)
		}
	}()
	return ch, nil
}

// Put implements Store.
func (m *MemStore) Put(_ context.Context, s *Story, at uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at != m.last {
		return 0, ErrConflict
	}
	m.last++
	m.stories[s.ID] = s.clone()
	m.pos[s.ID] = m.last
	for _, w := range m.watchers {
		w <- Change{Story: s.clone(), Pos: m.last}
	}
	return m.last, nil
}

// Last implements Store.
func (m *MemStore) Last(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last, nil
}
