package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/natsconn"
	"github.com/vigie-news/vigie/internal/natstest"
	"github.com/vigie-news/vigie/internal/tail"
)

// logBuffer is a buffer that goroutines write while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// secured is a case of TestSecuredNATS: a configuration's nats section,
// the server (nil: the daemon's embedded one), clients that must be
// refused, and the secrets that must be in no output.
type secured struct {
	name    string
	nats    string // the nats: section, indented
	server  *server.Server
	refused map[string][]nats.Option
	secrets []string
}

// TestSecuredNATS runs the daemon and vigie tail through a NATS server that
// authenticates its clients: the embedded server with nats.token_file, an
// external server in the operator model with nats.creds_file, and an
// external server with mutual TLS. The daemon reads a feed and publishes
// its alerts, tail prints them, clients without the right credentials are
// refused, and no secret is in the daemon's log or tail's output.
func TestSecuredNATS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const token = "3f6c1b8e0d9a4c27b5e1f0a9d8c7b6a5"
	write("nats-token", token+"\n")

	op := natstest.NewOperator(t)
	creds := op.Creds(t, "vigie")
	opServer := natstest.Start(t, func(o *server.Options) { op.Configure(t, o) })
	credsData, _ := os.ReadFile(creds)

	pki := natstest.NewPKI(t, "vigie")
	rogue := natstest.NewPKI(t, "rogue")
	tlsServer := natstest.Start(t, func(o *server.Options) { pki.TLS(t, o) })
	clientKey, _ := os.ReadFile(pki.ClientKey)

	cases := []secured{
		{
			name: "embedded server with token_file",
			nats: "  listen: 127.0.0.1:-1\n  token_file: nats-token\n",
			refused: map[string][]nats.Option{
				"anonymous":   nil,
				"wrong token": {nats.Token("x" + token[1:])},
			},
			secrets: []string{token},
		},
		{
			name:   "external server with creds_file",
			nats:   fmt.Sprintf("  url: %s\n  creds_file: %s\n", opServer.ClientURL(), creds),
			server: opServer,
			refused: map[string][]nats.Option{
				"anonymous":             nil,
				"user of another owner": {nats.UserCredentials(natstest.ForeignCreds(t))},
			},
			secrets: []string{seedLine(credsData)},
		},
		{
			name:   "external server with mutual TLS",
			nats:   fmt.Sprintf("  url: %s\n  tls:\n    ca_file: %s\n    cert_file: %s\n    key_file: %s\n", tlsServer.ClientURL(), pki.CAFile, pki.ClientCert, pki.ClientKey),
			server: tlsServer,
			refused: map[string][]nats.Option{
				"plain":                     nil,
				"no client certificate":     {nats.RootCAs(pki.CAFile)},
				"certificate of another CA": {nats.RootCAs(pki.CAFile), nats.ClientCert(rogue.ClientCert, rogue.ClientKey)},
			},
			secrets: []string{pemBody(clientKey)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runSecured(t, dir, c) })
	}
}

func runSecured(t *testing.T, dir string, c secured) {
	release := make(chan struct{})
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The first fetch waits until tail listens.
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, rssDocument(ownItems))
	}))
	defer feed.Close()

	sub := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
	yaml := fmt.Sprintf("nats:\n%sdata_dir: %s\nhttp:\n  listen: \"\"\ndefaults:\n  fulltext: never\nfeeds:\n  - id: own\n    url: %s/rss\n", c.nats, sub, feed.URL)
	cfg, err := config.Parse(filepath.Join(dir, "feeds.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	d := New(cfg, Options{Workers: 2, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	shutdown := sync.OnceValue(func() error { stop(); return <-done })
	defer shutdown()
	select {
	case <-d.Ready():
	case err := <-done:
		t.Fatalf("daemon ended before ready: %v\n%s", err, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatal("daemon not ready after 60s")
	}
	srv, url := c.server, cfg.NATS.URL
	if srv == nil {
		srv, url = d.broker.Server, d.NATSURL()
	}

	var out logBuffer
	tailCtx, stopTail := context.WithCancel(context.Background())
	tailDone := make(chan error, 1)
	go func() { tailDone <- tail.Run(tailCtx, tail.Options{Config: cfg, Server: url}, &out) }()
	waitConn(t, srv, "vigie tail", tailDone)
	close(release)
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(out.String(), "\n") < len(ownItems) {
		if time.Now().After(deadline) {
			t.Fatalf("tail printed %q, want %d alerts; daemon log:\n%s", out.String(), len(ownItems), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopTail()
	if err := <-tailDone; err != nil {
		t.Errorf("tail: %v", err)
	}
	for _, it := range ownItems {
		if !strings.Contains(out.String(), it.title) {
			t.Errorf("tail did not print %q:\n%s", it.title, out.String())
		}
	}

	// The alerts are in the stream, for a client with the credentials.
	auth, err := natsconn.Auth(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := auth.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("a client with the configuration's credentials: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), broker.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(context.Background()); err != nil || info.State.Msgs != uint64(len(ownItems)) {
		t.Errorf("%s: %v, err %v; want %d alerts", broker.AlertsStream, info.State.Msgs, err, len(ownItems))
	}
	for name, opts := range c.refused {
		nc, err := nats.Connect(url, append(opts, nats.Timeout(5*time.Second))...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: the server took the client", name)
			continue
		}
		if !broker.IsAuthError(err) && !errors.Is(err, nats.ErrTLS) {
			t.Errorf("%s: %v, want a refusal", name, err)
		}
	}
	if err := shutdown(); err != nil {
		t.Errorf("Run: %v", err)
	}
	for _, s := range c.secrets {
		if s == "" {
			t.Fatal("a secret to look for is empty")
		}
		if strings.Contains(logs.String(), s) || strings.Contains(out.String(), s) {
			t.Errorf("a secret is in the output:\nlog:\n%s\ntail:\n%s", logs.String(), out.String())
		}
	}
}

// waitConn waits until the server has a client connection named name
// with a subscription: vigie tail connects, then subscribes, and what is
// published in between does not reach it.
func waitConn(t *testing.T, s *server.Server, name string, failed <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cz, err := s.Connz(&server.ConnzOptions{})
		if err == nil {
			for _, c := range cz.Conns {
				if c.Name == name && c.NumSubs > 0 {
					return
				}
			}
		}
		select {
		case err := <-failed:
			t.Fatalf("%s ended: %v", name, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection named %q after 30s", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// seedLine is the NKey seed of a creds file.
func seedLine(creds []byte) string {
	for _, l := range strings.Split(string(creds), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "SU") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// pemBody is the base64 of a PEM block's first line of data.
func pemBody(p []byte) string {
	lines := strings.Split(string(p), "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[1]
}
