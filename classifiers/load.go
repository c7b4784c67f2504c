// Package classifiers is Vigie's rule engine: it reads rule files (the
// format is in FORMAT.md), scores items against them and measures them on
// labeled corpora.
package classifiers

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// builtin holds the rule sets shipped in the binary.
//
//go:embed *.yaml
var builtin embed.FS

// ErrUnknown is returned by Load for a name that is neither a built-in
// rule set nor a file.
var ErrUnknown = errors.New("unknown classifier")

// builtinOnce compiles each built-in rule set once: a classifier is
// immutable, so every Load of a name can share it.
var builtinOnce = func() map[string]func() (*Classifier, error) {
	m := make(map[string]func() (*Classifier, error))
	for _, name := range Builtin() {
		m[name] = sync.OnceValues(func() (*Classifier, error) {
			data, err := builtin.ReadFile(name + ".yaml")
			if err != nil {
				return nil, fmt.Errorf("classifier %q: %w", name, err)
			}
			return Parse(path.Join("classifiers", name+".yaml"), data)
		})
	}
	return m
}()

// Builtin returns the names of the built-in rule sets, sorted.
func Builtin() []string {
	entries, _ := fs.ReadDir(builtin, ".")
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Load returns a built-in rule set by name, or reads the rule file at a
// path. A name with a slash or a .yaml or .yml ending is a path. The
// classifier of a built-in name is compiled once and shared.
func Load(nameOrPath string) (*Classifier, error) {
	isPath := strings.ContainsAny(nameOrPath, `/\`) ||
		strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml")
	if !isPath {
		if load, ok := builtinOnce[nameOrPath]; ok {
			return load()
		}
		if _, statErr := os.Stat(nameOrPath); statErr != nil {
			return nil, fmt.Errorf("classifier %q: %w (built-in: %s)", nameOrPath, ErrUnknown, strings.Join(Builtin(), ", "))
		}
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("classifier %q: %w: %w", nameOrPath, ErrUnknown, err)
		}
		return nil, fmt.Errorf("classifier %q: %w", nameOrPath, err)
	}
	return Parse(nameOrPath, data)
}
