package readiness

import (
	"errors"
	"sync"
	"testing"
)

func TestState(t *testing.T) {
	var s State
	if err := s.Err(); err != nil {
		t.Fatalf("zero value: %v, want ready", err)
	}
	starting := errors.New("starting")
	if !s.Set("run", starting) {
		t.Error("the first reason is a change")
	}
	if err := s.Err(); err != starting {
		t.Errorf("one reason: %v, want it as it is", err)
	}
	if s.Set("run", errors.New("starting")) {
		t.Error("the same reason again is no change")
	}
	s.Set("nats", errors.New("NATS not connected"))
	if err := s.Err(); err == nil || err.Error() != "NATS not connected; starting" {
		t.Errorf("two reasons: %v, want both in the order of their parts", err)
	}
	if !s.Set("run", nil) || s.Set("run", nil) {
		t.Error("a part turning ready is a change once")
	}
	s.Set("nats", nil)
	if err := s.Err(); err != nil {
		t.Errorf("every part ready: %v", err)
	}
}

func TestStateConcurrent(t *testing.T) {
	var s State
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if (i+j)%2 == 0 {
					s.Set("p", errors.New("down"))
				} else {
					s.Set("p", nil)
				}
				_ = s.Err()
			}
		})
	}
	wg.Wait()
}
