package entities

import (
	"embed"
	"errors"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/textmatch"
)

//go:generate go run ./internal/gencldr -o data/states.cldr.yaml

// data holds the entity files shipped in the binary.
//
//go:embed data/*.yaml
var data embed.FS

// File is an entity file's name (it labels problems) and content.
type File struct {
	Name string
	Data []byte
}

// Builtin returns the embedded entity files, sorted by name.
func Builtin() []File {
	entries, _ := fs.ReadDir(data, "data")
	var files []File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		b, err := data.ReadFile("data/" + e.Name())
		if err != nil {
			continue
		}
		files = append(files, File{Name: path.Join("internal/entities/data", e.Name()), Data: b})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files
}

// entity is an entity as read, merged over the files that name it.
type entity struct {
	key   string
	kind  Kind
	names []nameSrc
	keys  []string // a combo's states
	file  string   // where a combo is written
	line  int
}

type nameSrc struct {
	text string
	lang string
	file string
	line int
	seq  int // the order of the file among those read
}

var (
	orgKeyRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*$`)
	yamlErr  = regexp.MustCompile(`line (\d+): (.*)`)
)

// notISO are the codes that language.ParseRegion takes for countries but
// ISO 3166-1 does not assign to one.
var notISO = map[string]bool{"UN": true, "EZ": true, "QO": true, "AC": true, "CP": true, "DG": true, "EA": true, "IC": true, "TA": true}

// IsStateKey reports whether key is an ISO 3166-1 alpha-2 country code
// (or XK, Kosovo's user-assigned code, which CLDR uses).
func IsStateKey(key string) bool {
	if len(key) != 2 || notISO[key] || strings.ToUpper(key) != key {
		return false
	}
	r, err := language.ParseRegion(key)
	return err == nil && r.IsCountry() && r.String() == key
}

// IsOrgKey reports whether key has the form of a body's key: upper-case
// letters and digits, starting with a letter.
func IsOrgKey(key string) bool { return orgKeyRE.MatchString(key) }

// reader collects the entities of several files and their problems.
type reader struct {
	probs    diag.List
	entities map[string]*entity // by kind and key: "S:FR", "O:UN"
	order    []string
	combos   []*entity
	exclude  []nameSrc
	files    int // files read so far
}

func newReader() *reader { return &reader{entities: make(map[string]*entity)} }

func (r *reader) addf(file string, line int, format string, args ...any) {
	r.probs.Addf(file, line, format, args...)
}

// read adds one file.
func (r *reader) read(f File) {
	r.files++
	var doc yaml.Node
	if err := yaml.Unmarshal(f.Data, &doc); err != nil {
		for _, m := range yamlMessages(err) {
			if sm := yamlErr.FindStringSubmatch(m); sm != nil {
				line, _ := strconv.Atoi(sm[1])
				r.addf(f.Name, line, "%s", sm[2])
				continue
			}
			r.addf(f.Name, 0, "%s", strings.TrimPrefix(m, "yaml: "))
		}
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		r.addf(f.Name, 0, "empty entity file")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		r.addf(f.Name, root.Line, "an entity file is a mapping of states, orgs and combos")
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "states":
			r.list(f.Name, v, State)
		case "orgs":
			r.list(f.Name, v, Org)
		case "combos":
			r.comboList(f.Name, v)
		case "exclude":
			r.excludeList(f.Name, v)
		default:
			r.addf(f.Name, k.Line, "unknown key %q (want states, orgs, combos, exclude)", k.Value)
		}
	}
}

func yamlMessages(err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return te.Errors
	}
	return []string{err.Error()}
}

func (r *reader) list(file string, n *yaml.Node, kind Kind) {
	if n.Kind != yaml.SequenceNode {
		r.addf(file, n.Line, "%s: want a list of entities", kind.plural())
		return
	}
	seen := make(map[string]int)
	for _, en := range n.Content {
		if en.Kind != yaml.MappingNode {
			r.addf(file, en.Line, "%s: each entity is a mapping of key and names", kind.plural())
			continue
		}
		var key string
		var keyLine int
		var names []nameSrc
		for i := 0; i+1 < len(en.Content); i += 2 {
			k, v := en.Content[i], en.Content[i+1]
			switch k.Value {
			case "key":
				key, keyLine = strings.TrimSpace(v.Value), v.Line
			case "name":
				// A body's full English name, for the reader of the file.
				if kind != Org {
					r.addf(file, k.Line, "name: only bodies have a full name (the country names come from CLDR)")
				}
			default:
				names = append(names, r.names(file, k, v)...)
			}
		}
		switch {
		case key == "":
			r.addf(file, en.Line, "%s: entity without key", kind.plural())
			continue
		case kind == State && !IsStateKey(key):
			r.addf(file, keyLine, "state key %q is not an ISO 3166-1 alpha-2 country code", key)
			continue
		case kind == Org && !IsOrgKey(key):
			r.addf(file, keyLine, "body key %q: want its upper-case acronym (A-Z, 0-9)", key)
			continue
		case seen[key] != 0:
			r.addf(file, keyLine, "key %s defined twice in this file (first at line %d)", key, seen[key])
			continue
		}
		seen[key] = keyLine
		id := kind.prefix() + key
		e, ok := r.entities[id]
		if !ok {
			e = &entity{key: key, kind: kind}
			r.entities[id] = e
			r.order = append(r.order, id)
		}
		e.names = append(e.names, names...)
	}
}

func (r *reader) comboList(file string, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		r.addf(file, n.Line, "combos: want a list")
		return
	}
	for _, cn := range n.Content {
		if cn.Kind != yaml.MappingNode {
			r.addf(file, cn.Line, "combos: each combo is a mapping of keys and names")
			continue
		}
		c := &entity{kind: combo, file: file, line: cn.Line}
		var keysLine int
		for i := 0; i+1 < len(cn.Content); i += 2 {
			k, v := cn.Content[i], cn.Content[i+1]
			if k.Value != "keys" {
				c.names = append(c.names, r.names(file, k, v)...)
				continue
			}
			keysLine = k.Line
			for _, kn := range v.Content {
				if !IsStateKey(kn.Value) {
					r.addf(file, kn.Line, "combo: state key %q is not an ISO 3166-1 alpha-2 country code", kn.Value)
					continue
				}
				c.keys = append(c.keys, kn.Value)
			}
		}
		if keysLine == 0 || len(c.keys) < 2 {
			r.addf(file, cn.Line, "combo: want keys: [two or more states]")
			continue
		}
		c.key = strings.Join(c.keys, "+")
		r.combos = append(r.combos, c)
	}
}

// excludeList reads the written forms that hold a name but name nothing.
func (r *reader) excludeList(file string, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		r.addf(file, n.Line, "exclude: want a mapping of language keys to lists")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		r.exclude = append(r.exclude, r.names(file, n.Content[i], n.Content[i+1])...)
	}
}

// names reads the names under a language key.
func (r *reader) names(file string, k, v *yaml.Node) []nameSrc {
	lang := k.Value
	if !textmatch.ValidLang(lang) {
		r.addf(file, k.Line, "unknown key %q (want key, name, or a language key such as en, fr, any)", lang)
		return nil
	}
	items := v.Content
	if v.Kind == yaml.ScalarNode {
		items = []*yaml.Node{v}
	}
	if len(items) == 0 {
		r.addf(file, k.Line, "%s: no names", lang)
	}
	var out []nameSrc
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
			r.addf(file, it.Line, "%s: a name must be a string", lang)
			continue
		}
		if strings.TrimSpace(it.Value) == "" {
			r.addf(file, it.Line, "%s: empty name", lang)
			continue
		}
		if msg := textmatch.Problem(it.Value); msg != "" {
			r.addf(file, it.Line, "%s: name %q: %s", lang, it.Value, msg)
			continue
		}
		out = append(out, nameSrc{text: strings.TrimSpace(it.Value), lang: lang, file: file, line: it.Line, seq: r.files})
	}
	return out
}

// check reports what no single file shows: one name given to two
// entities, combos of unknown states.
func (r *reader) check() {
	type owner struct {
		id   string
		name nameSrc
	}
	owners := make(map[string]owner)
	type claim struct {
		id   string
		name nameSrc
	}
	var claims []claim
	for _, id := range r.order {
		for _, n := range r.entities[id].names {
			claims = append(claims, claim{id, n})
		}
	}
	for _, c := range r.combos {
		for _, k := range c.keys {
			if _, ok := r.entities[State.prefix()+k]; !ok {
				r.addf(c.file, c.line, "combo: no file defines state %s", k)
			}
		}
		for _, n := range c.names {
			claims = append(claims, claim{"C:" + c.key, n})
		}
	}
	for _, n := range r.exclude {
		claims = append(claims, claim{"X:", n})
	}
	// Names claim in the order of the files, so that a clash is reported
	// in the later file: the one being added (a user's, after the
	// built-in ones).
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].name.seq < claims[j].name.seq })
	for _, c := range claims {
		n := c.name
		form := textmatch.Form(n.text, n.lang)
		if o, ok := owners[form]; ok {
			if o.id != c.id {
				r.addf(n.file, n.line, "name %q is also a name of %s (%s:%d): a name must name one entity", n.text, displayID(o.id), o.name.file, o.name.line)
			}
			continue
		}
		owners[form] = owner{c.id, n}
	}
}

func displayID(id string) string {
	kind, key, _ := strings.Cut(id, ":")
	switch kind {
	case "C":
		return "combo " + key
	case "O":
		return "body " + key
	case "X":
		return "nothing (it is excluded)"
	}
	return "state " + key
}
