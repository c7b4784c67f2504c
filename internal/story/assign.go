package story

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Assigner gives items their stories, keeping its grouper in step with a
// store that other instances write to as well: it decides with every
// story the store holds, and writes only if the store has not changed
// since (Store.Put), so that two instances never split a story.
type Assigner struct {
	store Store
	now   func() time.Time
	log   *slog.Logger

	// assigning serializes this instance's assignments: they would only
	// conflict with each other in the store.
	assigning sync.Mutex

	mu sync.Mutex
	g  *Grouper
	// pos is the store's position that g reflects.
	pos uint64
	// expect is where the next Put is made: pos, or lower when the
	// store's latest writes have expired.
	expect uint64
	ready  bool
	// changed is closed, and replaced, whenever pos moves or readiness
	// comes.
	changed chan struct{}
	// writing is the position the write in flight takes if it succeeds
	// (a store's positions follow each other), 0 when none is; settled is
	// closed once its outcome is known. The watch waits for it before a
	// change at that position, which is most often the write itself and
	// need not be read.
	writing uint64
	settled chan struct{}
}

// AssignerOptions tune an Assigner.
type AssignerOptions struct {
	Grouping Options
	Now      func() time.Time
	Logger   *slog.Logger
}

// NewAssigner returns an assigner over a store; Run must run for it to
// assign anything.
func NewAssigner(store Store, o AssignerOptions) *Assigner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Assigner{store: store, now: o.Now, log: o.Logger, g: NewGrouper(o.Grouping), changed: make(chan struct{})}
}

// Run follows the store until ctx ends: every story written, by this
// instance or another, goes into the grouper. It watches again after the
// store was out of reach.
func (a *Assigner) Run(ctx context.Context) error {
	failing := false
	for ctx.Err() == nil {
		ch, err := a.store.Watch(ctx)
		if err != nil {
			if !failing {
				a.log.Warn("story store unreachable, retrying", "error", err)
				failing = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		if failing {
			a.log.Info("story store reachable again")
			failing = false
		}
		a.follow(ch)
	}
	return nil
}

func (a *Assigner) follow(ch <-chan Change) {
	for c := range ch {
		a.mu.Lock()
		for a.writing != 0 && c.Pos == a.writing && !c.Ready {
			settled := a.settled
			a.mu.Unlock()
			<-settled
			a.mu.Lock()
		}
		switch {
		case c.Ready:
			if c.Pos > a.pos {
				a.pos = c.Pos
			}
			a.expect = a.pos
			a.ready = true
		case c.Pos <= a.pos && a.ready:
			// This instance's own write, applied when it was made, or one
			// seen before a watch started again.
			if c.Removed {
				a.remove(c)
			}
		case c.Removed:
			a.remove(c)
			a.pos, a.expect = c.Pos, c.Pos
		default:
			if err := a.apply(c); err != nil {
				a.log.Warn("story record not readable, passed over", "error", err)
				break
			}
			if c.Pos > a.pos {
				a.pos, a.expect = c.Pos, c.Pos
			}
		}
		close(a.changed)
		a.changed = make(chan struct{})
		a.mu.Unlock()
	}
}

// apply puts what a change wrote in the grouper: a record, read from
// its stored form if need be, or a whole story.
func (a *Assigner) apply(c Change) error {
	if c.Story != nil {
		a.g.Put(c.Story)
		return nil
	}
	r := c.Record
	if r == nil && c.Load != nil {
		var err error
		if r, err = c.Load(); err != nil {
			return err
		}
	}
	if r != nil {
		a.g.Add(*r)
	}
	return nil
}

// remove takes out of the grouper what a change removed from the store.
func (a *Assigner) remove(c Change) {
	switch {
	case c.Story != nil:
		a.g.Remove(c.Story.ID)
	case c.Record != nil:
		a.g.RemoveReport(c.Record.Story, c.Record.ID)
	}
}

// ErrNotReady is Assign's error before the assigner has read the store.
var ErrNotReady = errors.New("stories not loaded yet")

// Ready reports whether the assigner has read the stories the store held.
func (a *Assigner) Ready() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ready
}

// WaitReady waits until the assigner has read the store, or ctx ends.
func (a *Assigner) WaitReady(ctx context.Context) error {
	for {
		a.mu.Lock()
		ready, changed := a.ready, a.changed
		a.mu.Unlock()
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNotReady, ctx.Err())
		case <-changed:
		}
	}
}

// maxConflicts bounds the attempts of one assignment: each conflict
// means another write was seen, so many in a row mean something is wrong.
const maxConflicts = 50

// Assign returns the story of an item: the one that already holds it,
// or the one it joins or starts, written to the store. feats are the
// item's features (Features(in)).
func (a *Assigner) Assign(ctx context.Context, in Input, feats []string) (*Story, error) {
	a.assigning.Lock()
	defer a.assigning.Unlock()
	if err := a.WaitReady(ctx); err != nil {
		return nil, err
	}
	for range maxConflicts {
		now := a.now()
		a.mu.Lock()
		a.g.Expire(now)
		if s, ok := a.g.StoryOf(in.ID); ok {
			a.mu.Unlock()
			return s, nil
		}
		r, held := a.g.assign(in, feats, now)
		if held != nil {
			a.mu.Unlock()
			return held, nil
		}
		at := a.expect
		settled := make(chan struct{})
		a.writing, a.settled = at+1, settled
		a.mu.Unlock()

		pos, err := a.store.Put(ctx, r, at)
		a.mu.Lock()
		var s *Story
		if err == nil && (a.pos == at || a.expect == at) {
			// Nothing came in between: the grouper takes the record now,
			// and the watch's copy of it will be passed over.
			a.g.Add(r)
			a.pos, a.expect = pos, pos
			s, _ = a.g.Story(r.Story)
		}
		a.writing = 0
		close(settled)
		if s == nil && (err == nil || errors.Is(err, ErrTooLarge)) {
			// The story as this record makes it, for the item: the
			// grouper takes the record from the watch (or, too large,
			// never).
			held, _ := a.g.Story(r.Story)
			s = r.joins(held)
		}
		a.mu.Unlock()
		if err == nil {
			return s, nil
		}
		if errors.Is(err, ErrTooLarge) {
			// The item keeps the story it was given; the store does not
			// learn of it, and the next report of the event may start
			// another. Holding the item back for ever would be worse.
			a.log.Warn("story not stored: too large for the NATS server", "story", s.ID, "item", in.ID, "error", err)
			return s, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("story of %s: %w", in.ID, err)
		}
		if err := a.catchUp(ctx); err != nil {
			return nil, fmt.Errorf("story of %s: %w", in.ID, err)
		}
	}
	return nil, fmt.Errorf("story of %s: the store kept changing (%d attempts)", in.ID, maxConflicts)
}

// catchUp waits until the grouper holds every write the store has. A
// store whose last position is behind the grouper's has let its latest
// writes expire: the next Put is made at its position.
func (a *Assigner) catchUp(ctx context.Context) error {
	last, err := a.store.Last(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		a.mu.Lock()
		if last <= a.pos {
			a.expect = last
			a.mu.Unlock()
			return nil
		}
		changed := a.changed
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the story store's position %d: %w", last, ctx.Err())
		case <-changed:
		}
	}
}

// Open returns the open stories the grouper holds, the latest first.
func (a *Assigner) Open() []*Story {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.g.Stories()
}
