package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/vigie-news/vigie/internal/config"
	"github.com/vigie-news/vigie/internal/metrics"
)

// files lists the files under deploy/ whose name ends with one of exts.
func files(t *testing.T, exts ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		for _, e := range exts {
			if !d.IsDir() && strings.HasSuffix(path, e) {
				out = append(out, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no %v files under deploy/", exts)
	}
	return out
}

// documents decodes every YAML document of a file.
func documents(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", path)
	}
	return docs
}

func TestYAMLParses(t *testing.T) {
	for _, path := range files(t, ".yaml", ".yml") {
		t.Run(path, func(t *testing.T) { documents(t, path) })
	}
}

func TestJSONParses(t *testing.T) {
	for _, path := range files(t, ".json") {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
		})
	}
}

var envReference = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Every feeds.yaml shipped here loads as Vigie would load it, and names an
// absolute data_dir: a relative one would resolve against the configuration
// file's directory, which is read-only in every one of these deployments.
func TestFeedsConfigsLoad(t *testing.T) {
	for _, path := range files(t, "feeds.yaml") {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			env := func(name string) (string, bool) {
				if strings.Contains(name, "SECRET") {
					return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true
				}
				return "https://hooks.example/" + strings.ToLower(name), true
			}
			cfg, err := config.Parse(path, data, env)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := documents(t, path)[0]["data_dir"].(string)
			if !filepath.IsAbs(raw) {
				t.Errorf("data_dir %q is not absolute", raw)
			}
			if cfg.HTTP.Listen == "" {
				t.Error("http.listen is empty: no /healthz, /readyz or /metrics")
			}
		})
	}
}

var unitLine = regexp.MustCompile(`(?m)^([A-Za-z]+)=(.*)$`)

func TestSystemdUnit(t *testing.T) {
	data, err := os.ReadFile("systemd/vigie.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{}
	for _, m := range unitLine.FindAllStringSubmatch(string(data), -1) {
		unit[m[1]] = append(unit[m[1]], m[2])
	}
	one := func(key string) string {
		if len(unit[key]) != 1 {
			t.Fatalf("%s set %d times, want once", key, len(unit[key]))
		}
		return unit[key][0]
	}
	for key, want := range map[string]string{
		"Type": "notify", "DynamicUser": "yes", "ProtectSystem": "strict",
		"NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "MemoryDenyWriteExecute": "yes",
	} {
		if got := one(key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
	if one("WatchdogSec") == "" {
		t.Error("WatchdogSec is empty")
	}

	// The daemon reads the file the unit's configuration directory holds,
	// and writes where the unit's state directory is.
	exec := strings.Fields(one("ExecStart"))
	i := slices.Index(exec, "--config")
	if len(exec) < 2 || exec[1] != "run" || i < 0 || i+1 >= len(exec) {
		t.Fatalf("ExecStart=%s: want vigie run --config FILE", one("ExecStart"))
	}
	if want := filepath.Join("/etc", one("ConfigurationDirectory"), "feeds.yaml"); exec[i+1] != want {
		t.Errorf("ExecStart reads %s, want %s", exec[i+1], want)
	}
	dataDir, _ := documents(t, "systemd/feeds.yaml")[0]["data_dir"].(string)
	if want := filepath.Join("/var/lib", one("StateDirectory")); dataDir != want {
		t.Errorf("systemd/feeds.yaml data_dir %q, want the unit's state directory %s", dataDir, want)
	}
}

var metricName = regexp.MustCompile(`\b((?:vigie|go|process)_[a-z0-9_]+)\b`)

// exprs collects the values of "expr" keys anywhere in a decoded document.
func exprs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				*out = append(*out, s)
			} else {
				exprs(x, out)
			}
		}
	case []any:
		for _, x := range v {
			exprs(x, out)
		}
	}
}

// exported is every metric name a scrape of Vigie can show, with the
// series suffixes of histograms and summaries.
func exported(t *testing.T) (all map[string]bool, own []string) {
	t.Helper()
	m := metrics.New()
	all = map[string]bool{}
	own = m.Names()
	names := append([]string(nil), own...)
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		names = append(names, f.GetName())
	}
	for _, n := range names {
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			all[n+suffix] = true
		}
	}
	return all, own
}

// The dashboard and the alert rules only query metrics that Vigie exports,
// and the dashboard shows every metric Vigie defines.
func TestDashboardAndRulesUseExportedMetrics(t *testing.T) {
	all, own := exported(t)
	sources := map[string][]string{}

	var dash any
	data, err := os.ReadFile("grafana/vigie-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	var dashExprs []string
	exprs(dash, &dashExprs)
	sources["grafana/vigie-dashboard.json"] = dashExprs

	var rules []string
	for _, doc := range documents(t, "kubernetes/prometheusrule.yaml") {
		exprs(doc, &rules)
	}
	sources["kubernetes/prometheusrule.yaml"] = rules

	// Variables query with label_values(metric, label).
	var vars []string
	for _, v := range dash.(map[string]any)["templating"].(map[string]any)["list"].([]any) {
		if q, ok := v.(map[string]any)["definition"].(string); ok {
			vars = append(vars, q)
		}
	}
	sources["grafana/vigie-dashboard.json variables"] = vars

	for file, list := range sources {
		if len(list) == 0 {
			t.Errorf("%s: no expressions found", file)
		}
		for _, e := range list {
			for _, m := range metricName.FindAllStringSubmatch(e, -1) {
				if !all[m[1]] {
					t.Errorf("%s: %s is not a metric Vigie exports (in %q)", file, m[1], e)
				}
			}
		}
	}

	used := strings.Join(dashExprs, "\n")
	for _, name := range own {
		if !regexp.MustCompile(`\b` + name + `(_bucket|_sum|_count)?\b`).MatchString(used) {
			t.Errorf("the dashboard shows nothing of %s", name)
		}
	}
}

func TestKustomizationFilesExist(t *testing.T) {
	k := documents(t, "kubernetes/kustomization.yaml")[0]
	var paths []string
	for _, r := range k["resources"].([]any) {
		paths = append(paths, r.(string))
	}
	for _, g := range k["configMapGenerator"].([]any) {
		for _, f := range g.(map[string]any)["files"].([]any) {
			paths = append(paths, f.(string))
		}
	}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join("kubernetes", p)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", p, err)
		}
	}
}

// find returns the first document of kind named name.
func find(t *testing.T, path, kind, name string) map[string]any {
	t.Helper()
	for _, d := range documents(t, path) {
		if d["kind"] == kind && d["metadata"].(map[string]any)["name"] == name {
			return d
		}
	}
	t.Fatalf("%s: no %s %s", path, kind, name)
	return nil
}

func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			s, _ := v.([]any)
			if k >= len(s) {
				return nil
			}
			v = s[k]
		}
	}
	return v
}

// Each ${VAR} the Kubernetes feeds.yaml references is set in the vigie
// container from the Secret that secret.example.yaml shows, and the probes
// use the endpoints the operations listener serves.
func TestKubernetesDeployment(t *testing.T) {
	dep := find(t, "kubernetes/vigie.yaml", "Deployment", "vigie")
	c := dig(dep, "spec", "template", "spec", "containers", 0).(map[string]any)
	env := map[string]map[string]any{}
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		env[e["name"].(string)] = e
	}
	secret := find(t, "kubernetes/secret.example.yaml", "Secret", "vigie-notify")
	feeds, err := os.ReadFile("kubernetes/feeds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	refs := envReference.FindAllStringSubmatch(string(feeds), -1)
	if len(refs) == 0 {
		t.Fatal("kubernetes/feeds.yaml references no secret")
	}
	for _, m := range refs {
		e, ok := env[m[1]]
		if !ok {
			t.Errorf("feeds.yaml references ${%s}, which the container does not set", m[1])
			continue
		}
		ref, _ := dig(e, "valueFrom", "secretKeyRef").(map[string]any)
		if ref == nil || ref["name"] != "vigie-notify" {
			t.Errorf("%s does not come from the Secret vigie-notify", m[1])
			continue
		}
		if dig(secret, "stringData", ref["key"].(string)) == nil {
			t.Errorf("%s reads key %v, which secret.example.yaml lacks", m[1], ref["key"])
		}
	}

	for probe, path := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if got := dig(c, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path %v, want %s", probe, got, path)
		}
	}
	if dig(c, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("the root filesystem is writable")
	}
	if dig(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("the pod may run as root")
	}
}

// The NATS configurations load in nats-server and form one three-node
// JetStream cluster.
func TestNATSClusterConfigs(t *testing.T) {
	t.Setenv("POD_NAME", "nats-0")
	paths, err := filepath.Glob("nats/cluster-node-*.conf")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "kubernetes/nats.conf")
	names := map[string]string{}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			t.Setenv("POD_NAME", "nats-0")
			o, _ := loadNATSConf(t, path) // with certificates and an NKey made for the test
			if !o.JetStream || o.StoreDir == "" {
				t.Error("JetStream is off or has no store_dir")
			}
			if o.Cluster.Name != "vigie" || len(o.Routes) != 3 {
				t.Errorf("cluster %q with %d routes, want vigie with 3", o.Cluster.Name, len(o.Routes))
			}
			if prev, ok := names[o.ServerName]; ok && strings.HasPrefix(path, "nats/") {
				t.Errorf("server_name %s is also in %s", o.ServerName, prev)
			}
			names[o.ServerName] = path
		})
	}
}

// Files the compose file mounts from the repository exist.
func TestComposeMounts(t *testing.T) {
	doc := documents(t, "compose/compose.yaml")[0]
	declared := doc["volumes"].(map[string]any)
	for name, svc := range doc["services"].(map[string]any) {
		vols, _ := svc.(map[string]any)["volumes"].([]any)
		for _, v := range vols {
			src, _, _ := strings.Cut(v.(string), ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join("compose", src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := declared[src]; !ok {
				t.Errorf("service %s uses volume %s, which is not declared", name, src)
			}
		}
	}
}

// Files the Dockerfile copies from the build context (the repository root)
// exist and are not left out by its ignore file.
func TestDockerfileCopies(t *testing.T) {
	data, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := os.ReadFile("docker/Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var excluded, kept []string
	for _, line := range strings.Split(string(ignore), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "!"):
			kept = append(kept, line[1:])
		default:
			excluded = append(excluded, strings.TrimPrefix(line, "/"))
		}
	}
	copies := 0
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "COPY" || strings.HasPrefix(f[1], "--from=") {
			continue
		}
		for _, src := range f[1 : len(f)-1] {
			if strings.HasPrefix(src, "--") {
				continue
			}
			copies++
			if _, err := os.Stat(filepath.Join("..", src)); err != nil {
				t.Errorf("COPY %s: %v", src, err)
			}
			if pattern := ignoredBy(excluded, src); pattern != "" && !slices.Contains(kept, src) {
				t.Errorf("COPY %s: left out of the context by %q", src, pattern)
			}
		}
	}
	if copies == 0 {
		t.Error("no COPY from the build context")
	}
}

// ignoredBy returns the pattern that leaves path out of the build context:
// one that matches the path or a directory above it.
func ignoredBy(patterns []string, path string) string {
	parts := strings.Split(path, "/")
	for i := 1; i <= len(parts); i++ {
		p := strings.Join(parts[:i], "/")
		for _, pattern := range patterns {
			if ok, _ := filepath.Match(pattern, p); ok {
				return pattern
			}
		}
	}
	return ""
}

// The status page's token file of the Kubernetes and compose configurations
// is where a Secret is mounted: in Kubernetes a volume of a Secret that
// secret.example.yaml shows, with the file's name as a key; in compose a
// secret of the vigie service (/run/secrets/<name>).
func TestTokenFileFromSecret(t *testing.T) {
	tokenFile := func(path string) string {
		t.Helper()
		http, _ := documents(t, path)[0]["http"].(map[string]any)
		f, _ := http["token_file"].(string)
		if f == "" {
			t.Fatalf("%s: no http.token_file", path)
		}
		return f
	}

	t.Run("kubernetes", func(t *testing.T) {
		file := tokenFile("kubernetes/feeds.yaml")
		dep := find(t, "kubernetes/vigie.yaml", "Deployment", "vigie")
		c := dig(dep, "spec", "template", "spec", "containers", 0).(map[string]any)
		var volume string
		for _, m := range c["volumeMounts"].([]any) {
			m := m.(map[string]any)
			if m["mountPath"] == filepath.Dir(file) {
				volume = m["name"].(string)
			}
		}
		if volume == "" {
			t.Fatalf("nothing is mounted at %s, where http.token_file is", filepath.Dir(file))
		}
		var secretName string
		for _, v := range dig(dep, "spec", "template", "spec", "volumes").([]any) {
			v := v.(map[string]any)
			if v["name"] == volume {
				secretName, _ = dig(v, "secret", "secretName").(string)
			}
		}
		if secretName == "" {
			t.Fatalf("volume %s is not a Secret", volume)
		}
		secret := find(t, "kubernetes/secret.example.yaml", "Secret", secretName)
		if dig(secret, "stringData", filepath.Base(file)) == nil {
			t.Errorf("Secret %s has no key %s", secretName, filepath.Base(file))
		}
	})

	t.Run("compose", func(t *testing.T) {
		file := tokenFile("compose/feeds.yaml")
		name, ok := strings.CutPrefix(file, "/run/secrets/")
		if !ok {
			t.Fatalf("token_file %s is not a compose secret (/run/secrets/...)", file)
		}
		doc := documents(t, "compose/compose.yaml")[0]
		if dig(doc, "secrets", name) == nil {
			t.Errorf("compose.yaml declares no secret %s", name)
		}
		secrets, _ := dig(doc, "services", "vigie", "secrets").([]any)
		if !slices.Contains(secrets, any(name)) {
			t.Errorf("the vigie service does not get the secret %s", name)
		}
	})
}
