package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-news/vigie/internal/status"
)

// assets are the status page: its HTML, script and style, and the charting
// library (uPlot, vendored under assets/vendor with its licence). Nothing
// is loaded from elsewhere: the page works with no internet.
//
//go:embed assets
var assets embed.FS

// DefaultAlerts is the number of alerts /api/alerts returns without limit.
const DefaultAlerts = 50

// apiTimeout bounds the NATS reads of one API request.
const apiTimeout = 10 * time.Second

// statusPage serves the page and its API from a status source.
type statusPage struct {
	src status.Source
	// token is the SHA-256 of the bearer token the API asks for; nil when
	// the API is open (a loopback listener without token_file).
	token []byte
	srv   *Server
	// html is the page, which tells its script whether to ask for a token.
	html []byte

	mu sync.Mutex
	// lastErr is the last reason the state could not be read: an outage
	// is logged once, when it begins, and once when it ends.
	lastErr string
}

// ServeStatus serves the status page on / and its JSON API under /api/,
// reading src. With a token, every /api/ request must carry it as
// "Authorization: Bearer <token>" (the page asks for it with a login
// form); the page's own files hold no data and stay open, as do /metrics,
// /healthz and /readyz. Call it before Start.
func (s *Server) ServeStatus(src status.Source, token string) {
	p := &statusPage{src: src, srv: s}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		p.token = sum[:]
	}
	p.html, _ = assets.ReadFile("assets/index.html")
	if p.token != nil {
		p.html = bytes.Replace(p.html, []byte(`<body data-auth="none">`), []byte(`<body data-auth="token">`), 1)
	}
	files, _ := fs.Sub(assets, "assets")
	s.mux.Handle("GET /{$}", page(http.HandlerFunc(p.index)))
	s.mux.Handle("GET /assets/", page(http.StripPrefix("/assets/", http.FileServerFS(files))))
	s.mux.Handle("/api/", http.HandlerFunc(p.api))
	s.hasPage = true
}

// page sets the headers of the page's files: no framing, no inline
// script, nothing from another origin.
func page(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func (p *statusPage) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(p.html)
}

// authorized reports whether the request carries the token, comparing
// digests in constant time.
func (p *statusPage) authorized(r *http.Request) bool {
	if p.token == nil {
		return true
	}
	scheme, given, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(given)))
	return subtle.ConstantTimeCompare(sum[:], p.token) == 1
}

// api answers every /api/ path: the token first, so that an unknown path
// reveals nothing either, then the method and the path.
func (p *statusPage) api(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !p.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
		apiError(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	var serve func(http.ResponseWriter, *http.Request)
	switch r.URL.Path {
	case "/api/feeds":
		serve = p.feeds
	case "/api/alerts":
		serve = p.alerts
	case "/api/activity":
		serve = p.activity
	case "/api/stories":
		serve = p.storiesAPI
	default:
		apiError(w, http.StatusNotFound, "no such API path: the API has /api/feeds, /api/alerts, /api/activity and /api/stories")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		apiError(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		return
	}
	serve(w, r)
}

func (p *statusPage) feeds(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state, lang := q.Get("state"), q.Get("lang")
	if state != "" && !slices.Contains(status.States, state) {
		apiError(w, http.StatusBadRequest, "state: want one of "+strings.Join(status.States, ", "))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	feeds, err := p.src.Feeds(ctx)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	p.available()
	if state != "" || lang != "" {
		feeds = slices.DeleteFunc(feeds, func(f status.Feed) bool {
			return state != "" && f.State != state || lang != "" && f.Lang != lang
		})
	}
	out, done := jsonBody(w, r)
	defer done()
	_ = status.WriteJSON(out, feeds)
}

// limitParam is the request's limit parameter: def when it has none, one
// out of 1..most brought back into it. One that is not a whole number is
// answered 400, and ok is false.
func limitParam(w http.ResponseWriter, r *http.Request, def, most int) (limit int, ok bool) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		apiError(w, http.StatusBadRequest, "limit: want a whole number from 1 to "+strconv.Itoa(most))
		return 0, false
	}
	return min(max(n, 1), most), true
}

func (p *statusPage) alerts(w http.ResponseWriter, r *http.Request) {
	limit, ok := limitParam(w, r, DefaultAlerts, status.MaxAlerts)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	alerts, err := p.src.Alerts(ctx, limit)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	p.available()
	writeJSON(w, r, struct {
		Limit  int            `json:"limit"`
		Alerts []status.Alert `json:"alerts"`
	}{limit, alerts})
}

func (p *statusPage) activity(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	a, err := p.src.Activity(ctx)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	p.available()
	writeJSON(w, r, a)
}

// unavailable answers a request whose state could not be read: NATS down
// or slow. The reason is logged; the answer says only that.
func (p *statusPage) unavailable(w http.ResponseWriter, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client left
	}
	p.mu.Lock()
	first := p.lastErr == ""
	p.lastErr = err.Error()
	p.mu.Unlock()
	if first {
		p.srv.log.Warn("status page: state unavailable", "error", err)
	} else {
		p.srv.log.Debug("status page: state unavailable", "error", err)
	}
	apiError(w, http.StatusServiceUnavailable, "Vigie's state in NATS cannot be read now; try again shortly")
}

// available forgets the last failure to read the state.
func (p *statusPage) available() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr != "" {
		p.lastErr = ""
		p.srv.log.Info("status page: state readable again")
	}
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	out, done := jsonBody(w, r)
	defer done()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// jsonBody starts a JSON answer, compressed with gzip when the client
// takes it: the feeds of a large configuration are hundreds of kilobytes
// of repetitive text, read again every few seconds. done ends the body.
func jsonBody(w http.ResponseWriter, r *http.Request) (out io.Writer, done func()) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return w, func() {}
	}
	w.Header().Set("Content-Encoding", "gzip")
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	return gz, func() { _ = gz.Close() }
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, and not with q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{msg})
}
