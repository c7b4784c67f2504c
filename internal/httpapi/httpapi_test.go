package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vigie-news/vigie/internal/metrics"
)

func start(t *testing.T, m *metrics.Metrics, ready func() error) *Server {
	t.Helper()
	s := New("127.0.0.1:0", m, ready, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	var notReady atomic.Pointer[error]
	ready := func() error {
		if e := notReady.Load(); e != nil {
			return *e
		}
		return nil
	}
	m := metrics.New()
	m.ItemsNew("vna-fr", 2)
	s := start(t, m, ready)

	down := errors.New("nats: no connection to 127.0.0.1:4222")
	tests := []struct {
		name     string
		path     string
		notReady error
		wantCode int
		wantBody string
	}{
		{"alive", "/healthz", nil, 200, "ok\n"},
		{"alive while not ready", "/healthz", down, 200, "ok\n"},
		{"ready", "/readyz", nil, 200, "ready\n"},
		{"not ready gives the reason", "/readyz", down, 503, "not ready: nats: no connection to 127.0.0.1:4222\n"},
		{"ready again", "/readyz", nil, 200, "ready\n"},
		{"unknown path", "/debug/pprof/", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.notReady != nil {
				notReady.Store(&tt.notReady)
			} else {
				notReady.Store(nil)
			}
			code, body := get(t, s, tt.path)
			if code != tt.wantCode {
				t.Errorf("status %d, want %d (body %q)", code, tt.wantCode, body)
			}
			if tt.wantBody != "" && body != tt.wantBody {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.ItemsNew("vna-fr", 2)
	s := start(t, m, nil)
	code, body := get(t, s, "/metrics")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{`vigie_items_new_total{feed="vna-fr"} 2`, "go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestNoMetrics(t *testing.T) {
	t.Parallel()
	s := start(t, nil, nil)
	if code, _ := get(t, s, "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics without metrics: status %d, want 404", code)
	}
	if code, _ := get(t, s, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without metrics: status %d, want 200", code)
	}
}

func TestOnlyGet(t *testing.T) {
	t.Parallel()
	s := start(t, nil, nil)
	resp, err := http.Post("http://"+s.Addr()+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: status %d, want 405", resp.StatusCode)
	}
}

func TestAddr(t *testing.T) {
	t.Parallel()
	s := New("127.0.0.1:0", nil, nil, nil)
	if got := s.Addr(); got != "127.0.0.1:0" {
		t.Errorf("Addr before Start = %q, want the configured address", got)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Errorf("Addr after Start = %q, want 127.0.0.1 and the chosen port", s.Addr())
	}
	if err := s.Start(); err == nil {
		t.Error("second Start succeeded")
	}
}

func TestStartOnTakenAddress(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := New(l.Addr().String(), nil, nil, nil)
	err = s.Start()
	if err == nil {
		s.Shutdown(context.Background())
		t.Fatal("Start on a taken address succeeded")
	}
	if !strings.Contains(err.Error(), l.Addr().String()) {
		t.Errorf("error %q does not name the address", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after a failed Start: %v", err)
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	t.Parallel()
	if err := New("127.0.0.1:0", nil, nil, nil).Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

// A request in flight when Shutdown begins is answered; new connections are
// refused; Shutdown returns once the request is done.
func TestShutdownFinishesRequests(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	s := New("127.0.0.1:0", nil, func() error {
		close(entered)
		<-release
		return nil
	}, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()

	type result struct {
		code int
		err  error
	}
	answered := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			answered <- result{err: err}
			return
		}
		resp.Body.Close()
		answered <- result{code: resp.StatusCode}
	}()
	<-entered

	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	// Wait for the listener to close, which Shutdown does first.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
	}
	close(release)

	if r := <-answered; r.err != nil || r.code != http.StatusOK {
		t.Errorf("request in flight: status %d, error %v; want 200", r.code, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// Shutdown gives up at its deadline and closes the requests still running.
func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	s := New("127.0.0.1:0", nil, func() error {
		close(entered)
		<-release
		return nil
	}, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with an ended context = %v, want context.Canceled", err)
	}
	if err := <-answered; err == nil {
		t.Error("the request in flight was answered after the deadline; want its connection closed")
	}
}
