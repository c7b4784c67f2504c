package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles cmd/vigie of the module at root into dir and returns the
// binary's path.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "vigie")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/vigie")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/vigie: %w\n%s", err, out)
	}
	return bin, nil
}

// ModuleRoot finds the directory of go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

// Config is what an instance's feeds.yaml says.
type Config struct {
	Name     string // instance name, sent in the User-Agent
	NATSURL  string // empty: embedded server on NATSListen
	Listen   string // embedded server's client address
	Replicas int
	DataDir  string
	HTTP     string // operations listener host:port
	Workers  int
	Schedule string
	Feeds    []FeedConfig
	// Webhook is the URL of a notification route for cyber-diplomacy
	// alerts; empty: no route.
	Webhook string
	// SlackAPI is the Web API address of a second route, a Slack bot
	// token's, for the same alerts; empty: no such route.
	SlackAPI string
	// JobAckWait is fetch.job_ack_wait: how soon a killed instance's job
	// goes to another (0: the daemon's default).
	JobAckWait time.Duration
}

// FeedConfig is one feed of the configuration.
type FeedConfig struct {
	ID, URL string
	Timeout time.Duration
}

// YAML renders the configuration.
func (c Config) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nats:\n  url: %q\n  name: %q\n", c.NATSURL, "vigie-"+c.Name)
	if c.Listen != "" {
		fmt.Fprintf(&b, "  listen: %q\n", c.Listen)
	}
	if c.Replicas > 0 {
		fmt.Fprintf(&b, "  replicas: %d\n", c.Replicas)
	}
	fmt.Fprintf(&b, "data_dir: %q\nlanguages: [en, fr]\n", c.DataDir)
	// The farm serves feeds, not article pages: no item's page is read.
	fmt.Fprintf(&b, "defaults:\n  schedule: %q\n  fulltext: never\n", c.Schedule)
	fmt.Fprintf(&b, "http:\n  listen: %q\n", c.HTTP)
	// Several loopback hosts stand for many sites: a small gap between two
	// requests to one host keeps the farm's pace close to a real one's.
	fmt.Fprintf(&b, "fetch:\n  user_agent: \"Vigie-test instance=%s\"\n  timeout: 5s\n  max_body_bytes: 4194304\n  per_host: 8\n  host_gap: 5ms\n  max_concurrent: 64\n  workers: %d\n", c.Name, max(c.Workers, 1))
	if c.JobAckWait > 0 {
		fmt.Fprintf(&b, "  job_ack_wait: %s\n", c.JobAckWait)
	}
	// One message per alert (not per story): the harness counts every
	// alert's delivery.
	if c.Webhook != "" || c.SlackAPI != "" {
		b.WriteString("notify:\n")
	}
	if c.Webhook != "" {
		fmt.Fprintf(&b, "  - name: harness\n    type: webhook\n    url: %q\n    per: item\n    match: {classifiers: [cyber-diplomacy]}\n", c.Webhook)
	}
	if c.SlackAPI != "" {
		fmt.Fprintf(&b, "  - name: %s\n    type: slack\n    url: %q\n    token: %s\n    channel: %s\n    per: item\n    match: {classifiers: [cyber-diplomacy]}\n",
			slackRoute, c.SlackAPI, slackToken, slackChannelID)
	}
	b.WriteString("feeds:\n")
	for _, f := range c.Feeds {
		// The farm is the harness's own: its feeds may be read every
		// few seconds.
		fmt.Fprintf(&b, "  - id: %s\n    url: %q\n    allow_fast: true\n", f.ID, f.URL)
		if f.Timeout > 0 {
			fmt.Fprintf(&b, "    timeout: %s\n", f.Timeout)
		}
	}
	return b.String()
}

// Instance is a vigie process.
type Instance struct {
	Name string
	bin  string
	cfg  Config
	path string
	log  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// NewInstance writes the configuration under dir; Start runs it.
func NewInstance(bin, dir string, cfg Config) (*Instance, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "data")
	}
	in := &Instance{Name: cfg.Name, bin: bin, cfg: cfg, path: filepath.Join(dir, "feeds.yaml"), log: filepath.Join(dir, "vigie.log")}
	if err := os.WriteFile(in.path, []byte(cfg.YAML()), 0o644); err != nil {
		return nil, err
	}
	return in, nil
}

// LogPath is where the process writes its log (appended across restarts).
func (in *Instance) LogPath() string { return in.log }

// Start runs `vigie run --config` and waits until /readyz answers 200.
func (in *Instance) Start(timeout time.Duration) error {
	logf, err := os.OpenFile(in.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	level := "info"
	if l := os.Getenv("VIGIE_CLUSTER_LOG_LEVEL"); l != "" {
		level = l // debug: every delivery and job in the logs
	}
	cmd := exec.Command(in.bin, "run", "--config", in.path, "--log-format", "json", "--log-level", level)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	in.mu.Lock()
	in.cmd, in.exited = cmd, exited
	in.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("instance %s exited during start; see %s", in.Name, in.log)
		default:
		}
		if code, _ := in.get("/readyz"); code == http.StatusOK {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("instance %s not ready after %s; see %s", in.Name, timeout, in.log)
}

// Kill sends SIGKILL and waits for the process to end.
func (in *Instance) Kill() {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Stop sends SIGTERM and waits up to timeout, then kills.
func (in *Instance) Stop(timeout time.Duration) error {
	in.mu.Lock()
	cmd, exited := in.cmd, in.exited
	in.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		if cmd.ProcessState != nil && !cmd.ProcessState.Success() {
			return fmt.Errorf("instance %s: %s", in.Name, cmd.ProcessState)
		}
		return nil
	case <-time.After(timeout):
		in.Kill()
		return fmt.Errorf("instance %s did not stop within %s", in.Name, timeout)
	}
}

// Alive reports whether the process is running.
func (in *Instance) Alive() bool {
	in.mu.Lock()
	exited := in.exited
	in.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

func (in *Instance) get(path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+in.cfg.HTTP+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, string(body)
}

// Healthy reports whether /healthz answers 200.
func (in *Instance) Healthy() bool {
	code, _ := in.get("/healthz")
	return code == http.StatusOK
}

// Ready reports whether /readyz answers 200.
func (in *Instance) Ready() bool {
	code, _ := in.get("/readyz")
	return code == http.StatusOK
}

// Metric reads one unlabelled sample from /metrics (-1 when absent).
func (in *Instance) Metric(name string) float64 {
	_, body := in.get("/metrics")
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// Usage is a process's resident memory and CPU time so far.
type Usage struct {
	RSS int64         // bytes
	CPU time.Duration // user + system
}

// Usage reads /proc for the running process.
func (in *Instance) Usage() (Usage, error) {
	in.mu.Lock()
	cmd := in.cmd
	in.mu.Unlock()
	if cmd == nil || !in.Alive() {
		return Usage{}, errors.New("not running")
	}
	return procUsage(cmd.Process.Pid)
}

func procUsage(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			u.RSS = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// Fields after the command name, which ends with the last ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(fields) > 12 {
		ut, _ := strconv.ParseInt(fields[11], 10, 64)
		st, _ := strconv.ParseInt(fields[12], 10, 64)
		u.CPU = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
	}
	return u, nil
}
