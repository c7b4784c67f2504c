package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func vigie(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lockedBuffer is a buffer that a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	t.Run("the repository's feeds.yaml", func(t *testing.T) {
		code, out, errOut := vigie(t, "", "check", "--config", filepath.Join("..", "..", "feeds.yaml"))
		if code != 0 || !strings.Contains(out, "ok") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("every problem as file:line", func(t *testing.T) {
		path := writeFile(t, "feeds.yaml", "feeds:\n  - id: Bad_Id\n    url: https://a.example/\n    schedule: nope\n  - id: b\n    url: https://b.example/\n    language: xx\nunknown: 1\n")
		code, out, errOut := vigie(t, "", "check", "--config", path)
		if code != 2 {
			t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
		}
		for _, want := range []string{
			path + ":2: feeds[0].id:",
			path + ":4: feeds[0].schedule:",
			path + ":7: feeds[1].language:",
			path + ":8: unknown key \"unknown\"",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		code, _, errOut := vigie(t, "", "check", "--config", filepath.Join(t.TempDir(), "nope.yaml"))
		if code != 2 || !strings.Contains(errOut, "not found") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("bad rule file", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("name: mine\nthreshold: high\n"), 0o644)
		cfg := filepath.Join(dir, "feeds.yaml")
		os.WriteFile(cfg, []byte("classifiers: [cyber-diplomacy, mine.yaml]\nfeeds:\n  - id: a\n    url: https://a.example/\n"), 0o644)
		code, _, errOut := vigie(t, "", "check", "--config", cfg)
		if code != 2 || !strings.Contains(errOut, "mine.yaml:2") {
			t.Errorf("exit %d, stderr %q; want the rule file's problem with its line", code, errOut)
		}
	})
}

func TestRunBadConfigExits2(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "feeds.yaml", "feeds:\n  - id: a\n    url: https://a.example/\n  - id: a\n    url: https://b.example/\n")
	code, _, errOut := vigie(t, "", "run", "--config", path)
	if code != 2 || !strings.Contains(errOut, path+":4: feeds[1].id: duplicate feed id") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestClassifyJSONL(t *testing.T) {
	t.Parallel()
	in := `{"id":"a","title":"Les États de l'ONU adoptent le rapport du groupe de travail à composition non limitée","text":"Le rapport de l'OEWG sur la sécurité du numérique et le comportement responsable des États dans le cyberespace a été adopté par consensus à New York."}
{"id":"b","title":"Lyon s'impose à Marseille","text":"L'Olympique lyonnais a battu Marseille deux buts à un samedi soir.","lang":"fr"}
`
	code, out, errOut := vigie(t, in, "classify", "--jsonl", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d output lines, want 2:\n%s", len(lines), out)
	}
	type result struct {
		ID             string   `json:"id"`
		Lang           string   `json:"lang"`
		LangConfidence *float64 `json:"lang_confidence"`
		Alerts         []struct {
			Classifier string  `json:"classifier"`
			Score      float64 `json:"score"`
			Topics     []struct {
				ID       string `json:"id"`
				Evidence []struct {
					Term, Field string
					Count       int
				} `json:"evidence"`
			} `json:"topics"`
		} `json:"alerts"`
	}
	var a, b result
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &b); err != nil {
		t.Fatal(err)
	}
	if a.ID != "a" || a.Lang != "fr" || a.LangConfidence == nil || len(a.Alerts) != 1 || a.Alerts[0].Classifier != "cyber-diplomacy" {
		t.Errorf("line 1 = %s", lines[0])
	} else if len(a.Alerts[0].Topics) == 0 || len(a.Alerts[0].Topics[0].Evidence) == 0 {
		t.Errorf("line 1 has no evidence: %s", lines[0])
	}
	if b.ID != "b" || b.Lang != "fr" || len(b.Alerts) != 0 {
		t.Errorf("line 2 = %s", lines[1])
	}
}

// TestClassifyJSONLPriors checks that hint and declared reach the detector
// as priors: "banco central" is Spanish and Portuguese.
func TestClassifyJSONLPriors(t *testing.T) {
	t.Parallel()
	in := `{"id":"h","title":"banco central","hint":"es"}
{"id":"d","title":"banco central","declared":"pt-BR"}
{"id":"lie","title":"Le gouvernement renforce la cybersécurité des hôpitaux","hint":"vi","declared":"vi-VN"}
`
	code, out, errOut := vigie(t, in, "classify", "--jsonl", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := []string{"es", "pt", "fr"}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d output lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		var r struct {
			Lang           string  `json:"lang"`
			LangConfidence float64 `json:"lang_confidence"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.Lang != want[i] || r.LangConfidence <= 0 || r.LangConfidence > 1 {
			t.Errorf("line %d = %s, want %s detected with a confidence in (0,1]", i+1, line, want[i])
		}
	}
}

func TestClassifyJSONLBadLine(t *testing.T) {
	t.Parallel()
	code, _, errOut := vigie(t, "{\"id\":\"a\",\"text\":\"x\"}\nnot json\n", "classify", "--jsonl", "--config", "/nonexistent/feeds.yaml")
	if code != 1 || !strings.Contains(errOut, "line 2") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestClassifyTextExplains(t *testing.T) {
	t.Parallel()
	doc := "La Convention de Budapest accueille trois nouveaux États\nLe Conseil de l'Europe annonce trois adhésions à la Convention de Budapest sur la cybercriminalité, qui renforce la coopération internationale contre la criminalité en ligne.\n"
	code, out, errOut := vigie(t, doc, "classify", "--config", "/nonexistent/feeds.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "language fr") || !strings.Contains(out, "cybercrime") || !strings.Contains(strings.ToLower(out), "budapest") {
		t.Errorf("explanation lacks the language, topic or term:\n%s", out)
	}
}

func TestVersionAndUsage(t *testing.T) {
	t.Parallel()
	if code, out, _ := vigie(t, "", "version"); code != 0 || !strings.HasPrefix(out, "vigie ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, _, errOut := vigie(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, out, _ := vigie(t, "", "help"); code != 0 || !strings.Contains(out, "vigie run") {
		t.Errorf("help: exit %d", code)
	}
}

// TestRunStopsOnSIGTERM runs the daemon as a user does, then sends SIGTERM
// to the process and expects a clean exit. It is the one test of the
// package not run in parallel: the signal goes to the whole test process,
// and the parallel tests wait until it is done.
func TestRunStopsOnSIGTERM(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "feeds.yaml")
	// The feed points at a closed port: it fails, and the daemon keeps going.
	os.WriteFile(cfg, []byte(fmt.Sprintf("nats:\n  listen: %s\nhttp:\n  listen: \"\"\nfeeds:\n  - id: closed\n    url: http://127.0.0.1:1/rss\n", addr)), 0o644)

	done := make(chan int, 1)
	errOut := &lockedBuffer{}
	go func() {
		done <- run([]string{"run", "--config", cfg, "--log-format", "json"}, strings.NewReader(""), &bytes.Buffer{}, errOut)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		nc, err := nats.Connect("nats://"+addr, nats.Timeout(time.Second))
		if err == nil {
			nc.Close()
			break
		}
		select {
		case code := <-done:
			t.Fatalf("vigie run exited with %d before serving: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("embedded NATS not reachable after 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Wait for the ready line, so that the signal handler is in place.
	for !strings.Contains(errOut.String(), "vigie ready") {
		if time.Now().After(deadline) {
			t.Fatal("no ready line")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM:\n%s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("vigie run did not stop within 20s of SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "jetstream")); err != nil {
		t.Errorf("no JetStream store under data_dir: %v", err)
	}
}

func TestCheckRouteClassifier(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "feeds.yaml", "feeds:\n  - id: a\n    url: https://a.example/\nnotify:\n  - name: soc\n    type: webhook\n    url: https://hooks.example/x\n    match: {classifiers: [rules/mine.yaml]}\n")
	code, _, errOut := vigie(t, "", "check", "--config", path)
	if code != 2 || !strings.Contains(errOut, path+":5: notify[0].match.classifiers: no classifier named \"rules/mine.yaml\"") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestBadRouteExits2 checks that a webhook secret in the wrong form (found
// with the rest of the configuration, at its line) and what only the
// notifier can tell (a template on a webhook route) are configuration
// problems for check, run and notify alike, reported before anything
// starts, and that the secret is not shown.
func TestBadRouteExits2(t *testing.T) {
	t.Parallel()
	const head = "nats:\n  listen: 127.0.0.1:-1\nhttp:\n  listen: \"\"\nfeeds:\n  - id: a\n    url: https://a.example/\nnotify:\n"
	secret := writeFile(t, "feeds.yaml", head+"  - name: siem\n    type: webhook\n    url: https://hooks.example/x\n    secret: not-a-whsec-secret\n")
	template := writeFile(t, "feeds.yaml", head+"  - name: ops\n    type: webhook\n    url: https://hooks.example/y\n    template: \"{{.Title}}\"\n")
	for _, cmd := range []string{"check", "run", "notify"} {
		for path, want := range map[string]string{
			secret:   secret + ":12: notify[0].secret: not a Standard Webhooks secret: want whsec_ followed by the base64 of 24 to 64 random bytes",
			template: template + ":9: notify[0] (ops): template applies to slack routes only",
		} {
			code, _, errOut := vigie(t, "", cmd, "--config", path)
			if code != 2 || !strings.Contains(errOut, want) || strings.Contains(errOut, "not-a-whsec-secret") {
				t.Errorf("%s: exit %d, stderr %q; want 2 and %q", cmd, code, errOut, want)
			}
		}
	}
}

// TestCheckEmptyFile: an empty configuration file is refused in words, not
// with the YAML decoder's "EOF".
func TestCheckEmptyFile(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"", "\n\n", "# to be written\n"} {
		path := writeFile(t, "feeds.yaml", content)
		code, _, errOut := vigie(t, "", "check", "--config", path)
		if code != 2 || !strings.Contains(errOut, path+": the file is empty: a configuration needs at least a feeds list") || strings.Contains(errOut, "EOF") {
			t.Errorf("%q: exit %d, stderr %q", content, code, errOut)
		}
	}
}

func TestNotifyWithoutRoutesExits2(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "feeds.yaml", "feeds:\n  - id: a\n    url: https://a.example/\n")
	code, _, errOut := vigie(t, "", "notify", "--config", path)
	if code != 2 || !strings.Contains(errOut, "no routes configured") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestTailBadSubjectExits2(t *testing.T) {
	t.Parallel()
	for _, subject := range []string{"news.alert.>.bad", "news..alert", "news.alert fr"} {
		code, _, errOut := vigie(t, "", "tail", "--config", filepath.Join(t.TempDir(), "none.yaml"), subject)
		if code != 2 || !strings.Contains(errOut, "not a NATS subject") {
			t.Errorf("%q: exit %d, stderr %q", subject, code, errOut)
		}
	}
}

// TestToolsDoNotWaitForAnAbsentServer: replay, notify --failures and status are
// one-shot tools; with nats.url pointing at nothing they fail at once,
// without the password of the URL.
func TestToolsDoNotWaitForAnAbsentServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	path := writeFile(t, "feeds.yaml", "nats:\n  url: nats://alice:S3CRET@"+addr+"\nfeeds:\n  - id: a\n    url: https://a.example/\n")
	for _, args := range [][]string{{"replay"}, {"notify", "--failures"}, {"status"}} {
		code, _, errOut := vigie(t, "", append(args, "--config", path)...)
		if code != 1 || !strings.Contains(errOut, "connect to NATS") || strings.Contains(errOut, "S3CRET") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
