package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	feed := Exponential{Base: time.Minute, Cap: 6 * time.Hour}
	tests := []struct {
		name    string
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{"no failure", 0, 0.5, 0},
		{"negative", -3, 0.5, 0},
		{"first, no jitter", 1, 0, 30 * time.Second},
		{"first, most jitter", 1, 0.999999, time.Minute - 60*time.Microsecond},
		{"second", 2, 0, time.Minute},
		{"fourth", 4, 0.5, 6 * time.Minute},
		{"capped", 12, 0, 3 * time.Hour},
		{"capped, huge count", 1 << 30, 0.5, 4*time.Hour + 30*time.Minute},
		{"rnd out of range", 1, 7, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := feed.Delay(tt.attempt, func() float64 { return tt.rnd })
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Delay(%d) = %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
	t.Run("monotone up to the cap, never above", func(t *testing.T) {
		prev := time.Duration(0)
		for n := 1; n < 64; n++ {
			lo, hi := feed.Delay(n, func() float64 { return 0 }), feed.Delay(n, func() float64 { return 0.999 })
			if lo < prev || hi > feed.Cap || lo > hi {
				t.Fatalf("n=%d: [%v, %v] after %v", n, lo, hi, prev)
			}
			prev = lo
		}
	})
	t.Run("nil rnd", func(t *testing.T) {
		if d := feed.Delay(3, nil); d < 2*time.Minute || d > 4*time.Minute {
			t.Errorf("Delay(3, nil) = %v", d)
		}
	})
}

func TestNominal(t *testing.T) {
	setup := Exponential{Base: 500 * time.Millisecond, Cap: 5 * time.Second}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, setup.Nominal(n))
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Nominal(1..6) = %v, want %v", got, want)
		}
	}
	if d := (Exponential{Base: time.Second}).Nominal(4); d != 8*time.Second {
		t.Errorf("no cap: Nominal(4) = %v, want 8s", d)
	}
}
