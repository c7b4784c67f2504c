// Package readiness keeps what a service's readiness probe answers: each
// part of the service reports when its state changes (on an event, or after
// a check of its own), and the probe reads the verdict kept, without asking
// anyone anything.
package readiness

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// State is the readiness of a service: ready when no part of it says
// otherwise. The zero value is ready; it is safe for concurrent use.
type State struct {
	mu   sync.Mutex
	down map[string]error
}

// Set records why part is not ready, or that it is when err is nil. It
// reports whether that changed what part says.
func (s *State) Set(part string, err error) (changed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, was := s.down[part]
	if err == nil {
		delete(s.down, part)
		return was
	}
	if s.down == nil {
		s.down = make(map[string]error)
	}
	s.down[part] = err
	return !was || old.Error() != err.Error()
}

// Err is nil when the service is ready, and otherwise says why not: the
// reason of each part that is not ready, in the order of their names.
func (s *State) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.down) == 0 {
		return nil
	}
	parts := make([]string, 0, len(s.down))
	for p := range s.down {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	if len(parts) == 1 {
		return s.down[parts[0]]
	}
	msgs := make([]string, len(parts))
	for i, p := range parts {
		msgs[i] = s.down[p].Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}
