package deploy

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/vigie-news/vigie/internal/broker"
	"github.com/vigie-news/vigie/internal/natstest"
)

var tlsFileKey = regexp.MustCompile(`(?m)^(\s*)(cert_file|key_file|ca_file):\s*(\S+)\s*$`)

// natsConf is a NATS configuration loaded for a test, and what was made
// for it.
type natsConf struct {
	opts     *server.Options
	pki      *natstest.PKI
	seedFile string // Vigie's NKey seed
	public   string // its public key, VIGIE_NKEY
}

// loadNATSConf loads a NATS configuration in nats-server as it will run:
// its TLS files replaced by certificates made here (the real ones come
// from Secrets), VIGIE_NKEY set to a public key made here. It returns the
// options and the public key.
func loadNATSConf(t *testing.T, path string) (*server.Options, string) {
	c := loadNATS(t, path)
	return c.opts, c.public
}

func loadNATS(t *testing.T, path string) natsConf {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pki := natstest.NewPKI(t, "deploy")
	files := map[string]string{"cert_file": pki.ServerCert, "key_file": pki.ServerKey, "ca_file": pki.CAFile}
	conf := tlsFileKey.ReplaceAllStringFunc(string(data), func(line string) string {
		m := tlsFileKey.FindStringSubmatch(line)
		return m[1] + m[2] + ": " + files[m[2]]
	})
	seed, public := natstest.UserSeed(t)
	t.Setenv("VIGIE_NKEY", public)
	tmp := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := server.ProcessConfigFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	return natsConf{opts: o, pki: pki, seedFile: seed, public: public}
}

// The compose pair works: a nats-server of compose/nats.conf takes Vigie
// connecting as compose/feeds.yaml says (its NKey, its certificate, the CA),
// and refuses a client without the NKey or without the certificate.
func TestComposeNATSPairWorks(t *testing.T) {
	c := loadNATS(t, "compose/nats.conf")
	c.opts.Host, c.opts.Port, c.opts.HTTPPort = "127.0.0.1", -1, 0
	c.opts.StoreDir, c.opts.NoLog, c.opts.NoSigs = t.TempDir(), true, true
	s, err := server.NewServer(c.opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server of compose/nats.conf not ready")
	}
	defer s.Shutdown()

	nats := documents(t, "compose/feeds.yaml")[0]["nats"].(map[string]any)
	files := map[string]string{ // compose's secrets, as made here
		nats["nkey_file"].(string):             c.seedFile,
		dig(nats, "tls", "ca_file").(string):   c.pki.CAFile,
		dig(nats, "tls", "cert_file").(string): c.pki.ClientCert,
		dig(nats, "tls", "key_file").(string):  c.pki.ClientKey,
	}
	auth := broker.Auth{
		NKeyFile: files[nats["nkey_file"].(string)],
		TLS: broker.TLSFiles{
			CAFile:   files[dig(nats, "tls", "ca_file").(string)],
			CertFile: files[dig(nats, "tls", "cert_file").(string)],
			KeyFile:  files[dig(nats, "tls", "key_file").(string)],
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Open(ctx, broker.Options{URL: s.ClientURL(), Auth: auth})
	if err != nil {
		t.Fatalf("Vigie as compose/feeds.yaml connects: %v", err)
	}
	b.Close(ctx)
	for name, a := range map[string]broker.Auth{
		"no NKey":        {TLS: auth.TLS},
		"no certificate": {NKeyFile: auth.NKeyFile, TLS: broker.TLSFiles{CAFile: auth.TLS.CAFile}},
	} {
		if _, err := broker.Open(ctx, broker.Options{URL: s.ClientURL(), Auth: a}); err == nil {
			t.Errorf("%s: the server took the client", name)
		}
	}
}

// Every NATS configuration shipped here asks clients for a certificate
// signed by the CA (mutual TLS) and for Vigie's NKey, admits nobody else,
// and encrypts the routes of a cluster.
func TestNATSConfigsSecured(t *testing.T) {
	paths, err := filepath.Glob("nats/cluster-node-*.conf")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "kubernetes/nats.conf", "compose/nats.conf")
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			t.Setenv("POD_NAME", "nats-0")
			o, public := loadNATSConf(t, path)
			if o.TLSConfig == nil || o.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
				t.Error("clients are not asked for TLS with a certificate (tls { verify: true })")
			}
			if len(o.Nkeys) != 1 || o.Nkeys[0].Nkey != public || len(o.Users) != 0 || o.Authorization != "" || o.NoAuthUser != "" {
				t.Errorf("authorization admits %d NKeys, %d users, token %v, no_auth_user %q; want Vigie's NKey alone", len(o.Nkeys), len(o.Users), o.Authorization != "", o.NoAuthUser)
			}
			if len(o.Routes) > 0 && (o.Cluster.TLSConfig == nil || o.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert) {
				t.Error("the cluster's routes are not encrypted")
			}
		})
	}
}

// secretVolumes maps the mount paths of a pod's container to the Secret
// mounted there.
func secretVolumes(t *testing.T, pod map[string]any) map[string]string {
	t.Helper()
	bySecret := map[string]string{}
	for _, v := range dig(pod, "volumes").([]any) {
		v := v.(map[string]any)
		if name, ok := dig(v, "secret", "secretName").(string); ok {
			bySecret[v["name"].(string)] = name
		}
	}
	out := map[string]string{}
	c := dig(pod, "containers", 0).(map[string]any)
	for _, m := range c["volumeMounts"].([]any) {
		m := m.(map[string]any)
		if s, ok := bySecret[m["name"].(string)]; ok {
			out[m["mountPath"].(string)] = s
		}
	}
	return out
}

// secretKeys lists the keys of each Secret that secret.example.yaml shows.
func secretKeys(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, d := range documents(t, "kubernetes/secret.example.yaml") {
		name := dig(d, "metadata", "name").(string)
		for k := range dig(d, "stringData").(map[string]any) {
			out[name] = append(out[name], k)
		}
	}
	return out
}

// fromSecret checks that a file is a key of a Secret mounted in the pod,
// which secret.example.yaml shows with that key, and returns the Secret.
func fromSecret(t *testing.T, what, file string, mounts map[string]string, keys map[string][]string) string {
	t.Helper()
	secret, ok := mounts[filepath.Dir(file)]
	switch {
	case !ok:
		t.Errorf("%s %s: no Secret is mounted at %s", what, file, filepath.Dir(file))
	case !slices.Contains(keys[secret], filepath.Base(file)):
		t.Errorf("%s %s: the Secret %s has no key %s in secret.example.yaml", what, file, secret, filepath.Base(file))
	}
	return secret
}

// In Kubernetes, Vigie's NKey seed and certificate and the NATS nodes'
// certificate and Vigie's public key come from Secrets that
// secret.example.yaml shows, and cert-manager.yaml makes the TLS ones.
func TestKubernetesNATSCredentialsFromSecrets(t *testing.T) {
	keys := secretKeys(t)
	certs := map[string]bool{}
	for _, d := range documents(t, "kubernetes/cert-manager.yaml") {
		if d["kind"] == "Certificate" {
			certs[dig(d, "spec", "secretName").(string)] = true
		}
	}

	feeds := documents(t, "kubernetes/feeds.yaml")[0]
	nats := feeds["nats"].(map[string]any)
	if url, _ := nats["url"].(string); !strings.HasPrefix(url, "tls://") {
		t.Errorf("nats.url %q is not tls://", url)
	}
	vigie := find(t, "kubernetes/vigie.yaml", "Deployment", "vigie")
	mounts := secretVolumes(t, dig(vigie, "spec", "template", "spec").(map[string]any))
	fromSecret(t, "nats.nkey_file", nats["nkey_file"].(string), mounts, keys)
	for _, k := range []string{"ca_file", "cert_file", "key_file"} {
		f, _ := dig(nats, "tls", k).(string)
		if f == "" {
			t.Errorf("nats.tls.%s is not set", k)
			continue
		}
		if s := fromSecret(t, "nats.tls."+k, f, mounts, keys); !certs[s] {
			t.Errorf("nats.tls.%s: cert-manager.yaml makes no Secret %s", k, s)
		}
	}

	sts := find(t, "kubernetes/nats.yaml", "StatefulSet", "nats")
	pod := dig(sts, "spec", "template", "spec").(map[string]any)
	natsMounts := secretVolumes(t, pod)
	conf, err := os.ReadFile("kubernetes/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tlsFileKey.FindAllStringSubmatch(string(conf), -1) {
		if s := fromSecret(t, "nats.conf "+m[2], m[3], natsMounts, keys); !certs[s] {
			t.Errorf("nats.conf %s: cert-manager.yaml makes no Secret %s", m[2], s)
		}
	}
	var nkey map[string]any
	for _, e := range dig(pod, "containers", 0, "env").([]any) {
		if e.(map[string]any)["name"] == "VIGIE_NKEY" {
			nkey, _ = dig(e, "valueFrom", "secretKeyRef").(map[string]any)
		}
	}
	if nkey == nil || !slices.Contains(keys[nkey["name"].(string)], nkey["key"].(string)) {
		t.Errorf("VIGIE_NKEY of the NATS pods comes from %v, not a key of secret.example.yaml", nkey)
	}
}

// Compose gives NATS and Vigie their files as secrets, made by
// make-secrets, at the paths their configurations name.
func TestComposeNATSCredentialsFromSecrets(t *testing.T) {
	doc := documents(t, "compose/compose.yaml")[0]
	declared := doc["secrets"].(map[string]any)
	script, err := os.ReadFile("compose/make-secrets")
	if err != nil {
		t.Fatal(err)
	}
	check := func(service, what, file string) {
		t.Helper()
		name, ok := strings.CutPrefix(file, "/run/secrets/")
		if !ok {
			t.Errorf("%s %s is not a compose secret", what, file)
			return
		}
		list, _ := dig(doc, "services", service, "secrets").([]any)
		if !slices.Contains(list, any(name)) {
			t.Errorf("%s %s: service %s does not get the secret %s", what, file, service, name)
		}
		src, _ := dig(declared, name, "file").(string)
		if src == "" || !strings.Contains(string(script), strings.TrimPrefix(src, "./")) {
			t.Errorf("%s: secret %s is file %q, which make-secrets does not write", what, name, src)
		}
	}
	nats := documents(t, "compose/feeds.yaml")[0]["nats"].(map[string]any)
	check("vigie", "nats.nkey_file", nats["nkey_file"].(string))
	for _, k := range []string{"ca_file", "cert_file", "key_file"} {
		f, _ := dig(nats, "tls", k).(string)
		check("vigie", "nats.tls."+k, f)
	}
	conf, err := os.ReadFile("compose/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range tlsFileKey.FindAllStringSubmatch(string(conf), -1) {
		check("nats", "nats.conf "+m[2], m[3])
	}
	if env, _ := dig(doc, "services", "nats", "environment", "VIGIE_NKEY").(string); !strings.Contains(env, "VIGIE_NKEY") {
		t.Errorf("the nats service's VIGIE_NKEY is %q, not taken from .env", env)
	}
}

// The NetworkPolicies let only Vigie's pods reach NATS's client port, only
// NATS's pods its route port, and only Prometheus Vigie's /metrics port;
// everything else is denied.
func TestNetworkPolicies(t *testing.T) {
	type rule struct {
		port int
		from string // "app.kubernetes.io/name" of the peers, "prometheus@monitoring"...
	}
	peers := func(from []any) []string {
		var out []string
		for _, f := range from {
			name, _ := dig(f, "podSelector", "matchLabels", "app.kubernetes.io/name").(string)
			if ns, ok := dig(f, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name").(string); ok {
				name += "@" + ns
			} else if dig(f, "namespaceSelector") != nil || dig(f, "ipBlock") != nil || name == "" {
				name = "anyone"
			}
			out = append(out, name)
		}
		if len(from) == 0 {
			out = append(out, "anyone")
		}
		return out
	}
	allowed := map[string][]rule{} // by selected pods' name
	denyAll := false
	for _, d := range documents(t, "kubernetes/networkpolicy.yaml") {
		sel, _ := dig(d, "spec", "podSelector", "matchLabels", "app.kubernetes.io/name").(string)
		types := fmt.Sprint(dig(d, "spec", "policyTypes"))
		ingress, _ := dig(d, "spec", "ingress").([]any)
		if sel == "" && len(dig(d, "spec", "podSelector").(map[string]any)) == 0 && strings.Contains(types, "Ingress") && len(ingress) == 0 {
			denyAll = true
			continue
		}
		for _, in := range ingress {
			from, _ := dig(in, "from").([]any)
			ports, _ := dig(in, "ports").([]any)
			if len(ports) == 0 {
				t.Errorf("policy %v allows every port", dig(d, "metadata", "name"))
			}
			for _, p := range ports {
				port, _ := dig(p, "port").(int)
				for _, who := range peers(from) {
					allowed[sel] = append(allowed[sel], rule{port, who})
				}
			}
		}
	}
	if !denyAll {
		t.Error("no policy denies what the others do not allow (podSelector {} with no ingress rule)")
	}
	want := map[string][]rule{
		"nats":  {{4222, "vigie"}, {6222, "nats"}, {8222, "prometheus@monitoring"}},
		"vigie": {{9464, "prometheus@monitoring"}},
	}
	for pods, rules := range want {
		got := allowed[pods]
		slices.SortFunc(got, func(a, b rule) int { return a.port - b.port })
		if !slices.Equal(got, rules) {
			t.Errorf("pods %s are reachable by %v, want %v", pods, got, rules)
		}
	}
	for pods := range allowed {
		if _, ok := want[pods]; !ok {
			t.Errorf("a policy opens pods %q", pods)
		}
	}
}
