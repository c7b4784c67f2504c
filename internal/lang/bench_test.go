package lang

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newsSamples returns the full news items of the shared data, or skips.
func newsSamples(b *testing.B) []sample {
	b.Helper()
	full, _ := loadNews(b, sharedData(b))
	return full
}

// BenchmarkDetectNews measures Vigie's detector on full news items (title
// and text) over the default languages.
func BenchmarkDetectNews(b *testing.B) {
	items := newsSamples(b)
	d := defaultDetector(b)
	cpu0 := startCPU(b)
	for i := 0; b.Loop(); i++ {
		d.Detect(items[i%len(items)].in)
	}
	reportItems(b, cpu0)
}

// BenchmarkLinguaAloneNews measures lingua-go alone on the same items, text
// and languages: DetectLanguageOf on the title and the whole text.
func BenchmarkLinguaAloneNews(b *testing.B) {
	items := newsSamples(b)
	lin := linguaAlone()
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = linguaText(it.in)
	}
	cpu0 := startCPU(b)
	for i := 0; b.Loop(); i++ {
		lin.DetectLanguageOf(texts[i%len(texts)])
	}
	reportItems(b, cpu0)
}

// BenchmarkDetectTitles measures Vigie's detector on the first 60
// characters of news items with the feed's hint, the short-text path.
func BenchmarkDetectTitles(b *testing.B) {
	_, titles := loadNews(b, sharedData(b))
	d := defaultDetector(b)
	cpu0 := startCPU(b)
	for i := 0; b.Loop(); i++ {
		d.Detect(titles[i%len(titles)].in)
	}
	reportItems(b, cpu0)
}

// BenchmarkLinguaAloneTitles measures lingua-go alone on the same titles.
func BenchmarkLinguaAloneTitles(b *testing.B) {
	_, titles := loadNews(b, sharedData(b))
	lin := linguaAlone()
	cpu0 := startCPU(b)
	for i := 0; b.Loop(); i++ {
		lin.DetectLanguageOf(titles[i%len(titles)].in.Title)
	}
	reportItems(b, cpu0)
}

// BenchmarkDetectNewsLimit measures the trade-off behind maxRunes: items/s
// and accuracy on full news items for several excerpt lengths.
func BenchmarkDetectNewsLimit(b *testing.B) {
	items := newsSamples(b)
	base := defaultDetector(b)
	for _, limit := range []int{60, 100, 119, 150, 200, 250, 300, 400, 600, 1 << 20} {
		b.Run(fmt.Sprintf("runes=%d", limit), func(b *testing.B) {
			d := *base
			d.limit = limit
			right := 0
			for _, it := range items {
				if d.Detect(it.in).Lang == it.lang {
					right++
				}
			}
			cpu0 := startCPU(b)
			for i := 0; b.Loop(); i++ {
				d.Detect(items[i%len(items)].in)
			}
			reportItems(b, cpu0)
			b.ReportMetric(100*float64(right)/float64(len(items)), "accuracy_%")
		})
	}
}

// BenchmarkDetectNewsParallel measures one shared detector used by as many
// goroutines as GOMAXPROCS, as the daemon's workers use it.
func BenchmarkDetectNewsParallel(b *testing.B) {
	items := newsSamples(b)
	d := defaultDetector(b)
	cpu0 := startCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Detect(items[i%len(items)].in)
			i++
		}
	})
	reportItems(b, cpu0)
}

// startCPU resets the timer and returns the CPU time used so far.
func startCPU(b *testing.B) time.Duration {
	b.Helper()
	b.ResetTimer()
	cpu, err := cpuTime()
	if err != nil {
		b.Fatal(err)
	}
	return cpu
}

// reportItems reports items per second of wall time, and items per second
// of CPU time (all goroutines: lingua-go starts its own), which a machine
// busy with other work disturbs less.
func reportItems(b *testing.B, cpu0 time.Duration) {
	b.Helper()
	cpu, err := cpuTime()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(b.N)/(cpu-cpu0).Seconds(), "items/cpu_s")
}

// buildChildEnv makes the test binary a child that builds one detector,
// prints its build time and resident memory, and exits. lingua-go caches
// models per process, so a build is only measured in a fresh process.
const buildChildEnv = "VIGIE_LANG_BUILD_CHILD"

// BenchmarkBuild measures, in a fresh process each time, the time to build
// the detector over the default languages and the process's resident memory
// after the build, for Vigie and for lingua-go alone. build_ms is wall time
// (what "ready in" means), build_cpu_ms the CPU time it took, which a busy
// machine disturbs less.
func BenchmarkBuild(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for _, which := range []string{"vigie", "lingua"} {
		b.Run(which, func(b *testing.B) {
			var ms, cpu, rss float64
			for b.Loop() {
				cmd := exec.Command(exe, "-test.run=^TestBuildChild$", "-test.v")
				cmd.Env = append(os.Environ(), buildChildEnv+"="+which)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				m, c, r, err := parseBuildChild(string(out))
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				ms += m
				cpu += c
				rss = max(rss, r)
			}
			b.ReportMetric(ms/float64(b.N), "build_ms")
			b.ReportMetric(cpu/float64(b.N), "build_cpu_ms")
			b.ReportMetric(rss, "rss_MB")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// parseBuildChild reads the child's "build_ms=... cpu_ms=... rss_mb=..." line.
func parseBuildChild(out string) (ms, cpu, rss float64, err error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "build_ms=") {
			continue
		}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			x, perr := strconv.ParseFloat(v, 64)
			if perr != nil {
				return 0, 0, 0, fmt.Errorf("%q: %w", f, perr)
			}
			switch k {
			case "build_ms":
				ms = x
			case "cpu_ms":
				cpu = x
			case "rss_mb":
				rss = x
			}
		}
		return ms, cpu, rss, nil
	}
	return 0, 0, 0, fmt.Errorf("no build_ms line")
}

// TestBuildChild is the child process of BenchmarkBuild; it does nothing in
// an ordinary test run.
func TestBuildChild(t *testing.T) {
	which := os.Getenv(buildChildEnv)
	if which == "" {
		t.Skip("only run as a child of BenchmarkBuild")
	}
	cpu0, err := cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	switch which {
	case "vigie":
		if _, err := New(DefaultLanguages); err != nil {
			t.Fatal(err)
		}
	case "lingua":
		newLinguaAlone(DefaultLanguages)
	default:
		t.Fatalf("%s=%q: want vigie or lingua", buildChildEnv, which)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	cpu1, err := cpuTime()
	if err != nil {
		t.Fatal(err)
	}
	rss, err := residentMB()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("build_ms=%.1f cpu_ms=%.1f rss_mb=%.1f\n", ms, float64((cpu1-cpu0).Microseconds())/1000, rss)
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// residentMB returns VmRSS from /proc/self/status in MB.
func residentMB() (float64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", v, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
