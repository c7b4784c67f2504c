// Package httpapi is Vigie's HTTP listener: Prometheus metrics on /metrics,
// liveness on /healthz, readiness on /readyz, and the status page on / with
// its JSON API under /api/.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigie-news/vigie/internal/metrics"
)

// Server serves the operations endpoints on one address.
type Server struct {
	addr  string
	ready func() error
	log   *slog.Logger
	srv   *http.Server
	mux   *http.ServeMux
	// hasPage is set once ServeStatus has put the status page on /.
	hasPage bool
	// stories answers /api/stories (see ServeStories).
	stories StorySource

	mu       sync.Mutex
	listener net.Listener
	done     chan struct{} // closed when Serve returns
}

// New returns a server for addr (host:port; port 0 picks a free one) that
// serves m's metrics and asks ready whether the daemon can do its work. A nil
// ready means always ready; a nil log discards messages.
//
// ready runs on every /readyz request, so it should answer from state the
// daemon already keeps rather than wait on the network. Its error is shown
// to whoever can reach addr, so it must not carry secrets.
func New(addr string, m *metrics.Metrics, ready func() error, log *slog.Logger) *Server {
	if ready == nil {
		ready = func() error { return nil }
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{addr: addr, ready: ready, log: log}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	s.mux = mux
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		// A scrape of a large registry or a slow ready check can take a
		// while; a minute bounds a stuck client without cutting those.
		WriteTimeout:   time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// Start listens on the address and serves in the background until
// Shutdown. It returns an error, and serves nothing, if the address cannot
// be listened on (taken, or not this host's).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return errors.New("http server already started")
	}
	if !s.hasPage {
		s.mux.HandleFunc("GET /{$}", s.index)
		s.hasPage = true
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", s.addr, err)
	}
	s.listener = l
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "addr", l.Addr().String(), "error", err)
		}
	}()
	s.log.Info("http server listening", "addr", l.Addr().String())
	return nil
}

// Addr is the address the server listens on once started (with the port
// chosen when it was 0), and the configured address before.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return s.listener.Addr().String()
	}
	return s.addr
}

// Shutdown stops accepting connections, waits for the requests in flight
// until ctx ends, then closes what remains. It is safe to call when the
// server was never started.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	started := s.listener != nil
	done := s.done
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		// Requests still running at the deadline are cut.
		s.srv.Close()
	}
	<-done
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	// Alive means able to answer: anything deeper belongs to /readyz, or a
	// NATS outage would get the process restarted for nothing.
	text(w, http.StatusOK, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if err := s.ready(); err != nil {
		text(w, http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
		return
	}
	text(w, http.StatusOK, "ready\n")
}

func (s *Server) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>Vigie</title><h1>Vigie</h1>
<ul><li><a href="metrics">/metrics</a><li><a href="healthz">/healthz</a><li><a href="readyz">/readyz</a></ul>
`)
}

func text(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}
