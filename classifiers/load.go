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
)

// builtin holds the rule sets shipped in the binary.
//
//go:embed *.yaml
var builtin embed.FS

// ErrUnknown is returned by Load for a name that is neither a built-in
// rule set nor a file.
var ErrUnknown = errors.New("unknown classifier")

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
// path. A name with a slash or a .yaml or .yml ending is a path.
func Load(nameOrPath string) (*Classifier, error) {
	isPath := strings.ContainsAny(nameOrPath, `/\`) ||
		strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml")
	if !isPath {
		data, err := builtin.ReadFile(nameOrPath + ".yaml")
		if err == nil {
			return Parse(path.Join("classifiers", nameOrPath+".yaml"), data)
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
