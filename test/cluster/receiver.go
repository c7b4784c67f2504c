package cluster

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-news/vigie"
)

// Receiver is a webhook endpoint for a notification route: it records each
// delivery by farm item and by webhook-id.
type Receiver struct {
	*httptest.Server
	// Delay holds each delivery before it is answered, so that deliveries
	// are in flight when a fault is injected; set it before the first.
	Delay    time.Duration
	inflight atomic.Int64
	mu       sync.Mutex
	perKey   map[string]int
	ids      map[string]int
	total    int
}

// NewReceiver listens on loopback.
func NewReceiver() *Receiver {
	rc := &Receiver{perKey: map[string]int{}, ids: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.inflight.Add(1)
		defer rc.inflight.Add(-1)
		if rc.Delay > 0 {
			select {
			case <-time.After(rc.Delay):
			case <-r.Context().Done():
				return
			}
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var a vigie.Alert
		if err != nil || json.Unmarshal(body, &a) != nil {
			http.Error(w, "not an alert", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.total++
		rc.ids[r.Header.Get("webhook-id")]++
		if _, key, ok := strings.Cut(a.URL, "/item/"); ok {
			rc.perKey[key]++
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return rc
}

// Deliveries is what the receiver got: deliveries per item key, the number
// of deliveries, and how many repeated a webhook-id already received (a
// redelivery the receiver can recognise).
func (rc *Receiver) Deliveries() (perKey map[string]int, total, repeats int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	perKey = make(map[string]int, len(rc.perKey))
	for k, v := range rc.perKey {
		perKey[k] = v
	}
	for _, n := range rc.ids {
		repeats += n - 1
	}
	return perKey, rc.total, repeats
}

// InFlight is the number of deliveries being received.
func (rc *Receiver) InFlight() int64 { return rc.inflight.Load() }
