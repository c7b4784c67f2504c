package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
)

// EntityPaths returns the paths of the configuration's extra entity files,
// relative paths taken from the configuration file's directory.
func (c *Config) EntityPaths() []string {
	out := make([]string, 0, len(c.Entities))
	for _, name := range c.Entities {
		if !filepath.IsAbs(name) {
			name = filepath.Join(filepath.Dir(c.Path), name)
		}
		out = append(out, name)
	}
	return out
}

// LoadEntities builds the entity set of the configuration: the built-in
// entity files and those of the entities key, parsed together, so that a
// name that an extra file gives to a second entity is refused as within the
// built-in files. It also checks that every body a route's match names is
// defined. Its error is a diag.List with every problem as file:line:
// message, the entity files' own problems under their names.
//
// Without extra files the built-in set, compiled once, is shared.
func (c *Config) LoadEntities() (*entities.Set, error) {
	var problems diag.List
	var files []entities.File
	for i, path := range c.EntityPaths() {
		data, err := os.ReadFile(path)
		if err != nil {
			problems.Addf(c.Path, c.lines.of("entities", i), "entities[%d]: %v", i, err)
			continue
		}
		files = append(files, entities.File{Name: path, Data: data})
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	var set *entities.Set
	var err error
	if len(c.Entities) == 0 {
		set, err = entities.Default()
	} else {
		set, err = entities.Parse(append(entities.Builtin(), files...)...)
	}
	if err != nil {
		var list diag.List
		if errors.As(err, &list) {
			return nil, list
		}
		return nil, diag.List{{File: c.Path, Msg: "entities: " + err.Error()}}
	}
	for i, r := range c.Notify {
		for j, key := range r.Match.Orgs {
			if kind, ok := set.Kind(key); !ok || kind != entities.Org {
				problems.Addf(c.Path, c.lines.of("notify", i, "match", "orgs", j), "notify[%d].match.orgs[%d]: no body with key %q in the entity files%s", i, j, key, known(set.Keys(entities.Org)))
			}
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// known lists the keys a user may choose from, when they are few enough
// to read.
func known(keys []string) string {
	switch {
	case len(keys) == 0:
		return " (they define no body)"
	case len(keys) > 40:
		return " (known: " + strings.Join(keys[:40], ", ") + ", ...)"
	}
	return " (known: " + strings.Join(keys, ", ") + ")"
}
