// Package backoff spaces the retries of something that keeps failing: a
// feed, a notification route, a NATS call. Every backoff in Vigie is an
// Exponential with its own bounds.
package backoff

import (
	"math"
	"math/rand/v2"
	"time"
)

// Exponential doubles from Base at the first attempt up to Cap (no cap when
// Cap is 0).
type Exponential struct {
	Base time.Duration
	Cap  time.Duration
}

// Nominal is the delay before attempt number attempt (1 for the first
// retry), without jitter: Base doubled attempt-1 times, at most Cap; 0 when
// attempt <= 0.
func (e Exponential) Nominal(attempt int) time.Duration {
	if attempt <= 0 || e.Base <= 0 {
		return 0
	}
	d := e.Base
	for i := 1; i < attempt && (e.Cap <= 0 || d < e.Cap) && d < math.MaxInt64/2; i++ {
		d *= 2
	}
	if e.Cap > 0 {
		d = min(d, e.Cap)
	}
	return d
}

// Delay is Nominal with jitter over its upper half, drawn from rnd (values
// in [0,1); nil is math/rand/v2), so that the things that failed together
// do not all retry together: a delay in [Nominal/2, Nominal).
func (e Exponential) Delay(attempt int, rnd func() float64) time.Duration {
	d := e.Nominal(attempt)
	if d == 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	j := rnd()
	if j < 0 || j >= 1 || math.IsNaN(j) {
		j = 0
	}
	return d/2 + time.Duration(j*float64(d/2))
}
