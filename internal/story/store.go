package story

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Store keeps the stories where every instance of Vigie sees them, as
// records: each report of a story is written once, when it joins. Its
// writes are in one order, numbered by position: a write is accepted only
// from an instance that has seen every write before it (compare and set
// on the whole store), so that two instances that see two reports of one
// event at once cannot start two stories.
type Store interface {
	// Watch sends every stored record, then a Change with Ready set, then
	// each record written after, in the order of their positions, until
	// ctx ends; it closes the channel when it stops (ctx ended, or the
	// store is unreachable: watch again).
	Watch(ctx context.Context) (<-chan Change, error)
	// Put writes a record if the store's last position is at. It returns
	// the record's position, or ErrConflict when another write came
	// first.
	Put(ctx context.Context, r Record, at uint64) (uint64, error)
	// Last returns the store's last position: where the next Put must be.
	Last(ctx context.Context) (uint64, error)
}

// Record is a report of a story as a store keeps it: the unit of a
// write. A story is the records under its id, in the order of their
// positions.
type Record struct {
	Story string `json:"story"`
	// First is the story's earliest report when this one joined: a
	// story whose first records have expired from a store keeps its age.
	First time.Time `json:"story_first"`
	Member
}

// Change is a record written to a store, at position Pos; or, with Ready
// set, the end of the records stored when Watch began.
type Change struct {
	Record *Record
	// Load, set when Record and Story are nil, reads the record from its
	// stored form: a store may leave that to the assigner, which passes
	// over most of its own writes without reading them.
	Load func() (*Record, error)
	// Story, for a store that kept stories whole before records, is a
	// story and all its reports.
	Story *Story
	Pos   uint64
	// Removed is set when the record (or whole story) was taken out of
	// the store: then Record holds only the ids of the story and report.
	Removed bool
	Ready   bool
}

// ErrConflict is Put's answer when the store has changed since the
// position it was given.
var ErrConflict = errors.New("story store changed since it was read")

// ErrTooLarge is Put's answer when the store cannot hold a record that
// large (a message over the NATS server's max_payload).
var ErrTooLarge = errors.New("story record too large to store")

// MemStore is a Store in memory, for one process: `vigie once` and tests.
type MemStore struct {
	mu       sync.Mutex
	records  []Record
	watchers []chan Change
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{} }

// Watch implements Store.
func (m *MemStore) Watch(ctx context.Context) (<-chan Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan Change, len(m.records)+1024)
	for i, r := range m.records {
		ch <- Change{Record: &r, Pos: uint64(i + 1)}
	}
	ch <- Change{Ready: true, Pos: uint64(len(m.records))}
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
func (m *MemStore) Put(_ context.Context, r Record, at uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if at != uint64(len(m.records)) {
		return 0, ErrConflict
	}
	r.Features = slices.Clone(r.Features)
	m.records = append(m.records, r)
	pos := uint64(len(m.records))
	for _, w := range m.watchers {
		w <- Change{Record: &r, Pos: pos}
	}
	return pos, nil
}

// Last implements Store.
func (m *MemStore) Last(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return uint64(len(m.records)), nil
}
