package classifiers

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigie-news/vigie/internal/diag"
	"github.com/vigie-news/vigie/internal/entities"
	"github.com/vigie-news/vigie/internal/textmatch"
)

// rules is a rule file as written, before compilation: what Parse reads
// from YAML, with the line of everything a later check may complain about.
type rules struct {
	name        string
	description string
	threshold   float64
	titleWeight float64
	require     []ref
	groups      []group
	topics      []topic
	negative    []entry
}

// ref is a group name used in require or near, with its line.
type ref struct {
	name string
	line int
}

type group struct {
	name     string
	line     int
	terms    []termSrc
	entities []ref // selectors: states, orgs, or keys
	distinct int
	include  []ref // groups whose finds count as this group's
}

// Entity selectors of a group besides keys.
const (
	selStates = "states"
	selOrgs   = "orgs"
)

type topic struct {
	id          string
	line        int
	description string
	threshold   float64
	require     []ref
	entries     []entry
}

// entry is one item of a topic's terms or of negative: terms sharing a
// weight and conditions.
type entry struct {
	line   int
	weight float64
	alone  bool
	near   []near
	unless []near
	terms  []termSrc
}

type near struct {
	group  ref
	within int
}

// termSrc is a term as written, with its language key and line.
type termSrc struct {
	text string
	lang string
	line int
}

// Defaults for keys a rule file may leave out.
const (
	defaultThreshold   = 1
	defaultTitleWeight = 1.5
	defaultWeight      = 1
	maxWithin          = 1000
	maxTermLen         = textmatch.MaxTermLen
)

var (
	nameRE  = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	groupRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	yamlErr = regexp.MustCompile(`line (\d+): (.*)`)
)

// parser collects the problems of one file.
type parser struct {
	file  string
	probs diag.List
}

func (p *parser) addf(line int, format string, args ...any) {
	p.probs.Addf(p.file, line, format, args...)
}

// Parse reads a rule file and compiles it into a classifier. The filename
// only labels problems. The error, when not nil, is a diag.List with every
// problem found as "file:line: message".
func Parse(filename string, data []byte) (*Classifier, error) {
	p := &parser{file: filename}
	r := p.read(data)
	if err := p.probs.Err(); err != nil {
		return nil, err
	}
	c := compile(r)
	return c, nil
}

// read decodes the YAML and checks the structure; problems go to p.probs.
func (p *parser) read(data []byte) *rules {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.addf(0, "empty rule file")
		return nil
	}
	root := doc.Content[0]
	if !p.noAliases(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.addf(root.Line, "a rule file is a mapping of name, threshold, groups, topics, ...")
		return nil
	}
	r := &rules{threshold: defaultThreshold, titleWeight: defaultTitleWeight}
	var nameLine, topicsLine int
	p.mapping(root, "", func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			r.name = p.str(v, key)
			nameLine = k.Line
			if r.name == "" {
				p.addf(v.Line, "name: empty")
			} else if !nameRE.MatchString(r.name) {
				p.addf(v.Line, "name %q: use lower-case letters, digits and dashes ([a-z0-9-]+)", r.name)
			}
		case "description":
			r.description = p.str(v, key)
		case "threshold":
			r.threshold = p.positive(v, key)
		case "title_weight":
			r.titleWeight = p.positive(v, key)
		case "require":
			r.require = p.refs(v, key)
		case "groups":
			r.groups = p.groups(v)
		case "topics":
			topicsLine = k.Line
			r.topics = p.topics(v)
		case "negative":
			r.negative = p.entries(v, "negative", false)
		default:
			p.addf(k.Line, "unknown key %q (want name, description, threshold, title_weight, require, groups, topics, negative)", key)
		}
	})
	if nameLine == 0 {
		p.addf(root.Line, "missing name")
	}
	if topicsLine == 0 {
		p.addf(root.Line, "missing topics")
	} else if len(r.topics) == 0 {
		p.addf(topicsLine, "topics: no topic")
	}
	p.checkRefs(r)
	return r
}

// yamlError turns a YAML syntax or type error into problems with lines.
func (p *parser) yamlError(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		if sm := yamlErr.FindStringSubmatch(m); sm != nil {
			line, _ := strconv.Atoi(sm[1])
			p.addf(line, "%s", sm[2])
			continue
		}
		p.addf(0, "%s", strings.TrimPrefix(m, "yaml: "))
	}
}

// noAliases rejects YAML anchors and aliases: a rule file should read the
// same to an analyst and to Vigie, and aliases can expand without bound.
func (p *parser) noAliases(n *yaml.Node) bool {
	ok := true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			p.addf(n.Line, "YAML aliases (*%s) are not supported in rule files", n.Value)
			ok = false
			return
		}
		if n.Anchor != "" {
			p.addf(n.Line, "YAML anchors (&%s) are not supported in rule files", n.Anchor)
			ok = false
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return ok
}

// mapping calls fn for each key of a mapping node, reporting duplicate
// keys and non-mapping values.
func (p *parser) mapping(n *yaml.Node, what string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return
		}
		p.addf(n.Line, "%s: want a mapping of keys", what)
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.addf(k.Line, "%s: a key must be a plain name", what)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.addf(k.Line, "duplicate key %q (first at line %d)", k.Value, prev)
			continue
		}
		seen[k.Value] = k.Line
		fn(k.Value, k, v)
	}
}

// seq returns the items of a sequence node; a single scalar reads as a
// one-item list and null as an empty one.
func (p *parser) seq(n *yaml.Node, what string) []*yaml.Node {
	switch {
	case n.Kind == yaml.SequenceNode:
		return n.Content
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil
	case n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	p.addf(n.Line, "%s: want a list", what)
	return nil
}

func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.addf(n.Line, "%s: want a string", what)
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// positive reads a number greater than zero.
func (p *parser) positive(n *yaml.Node, what string) float64 {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		p.addf(n.Line, "%s: want a number, got %q", what, n.Value)
		return 1
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.addf(n.Line, "%s: want a number, got %q", what, n.Value)
		return 1
	}
	if f <= 0 {
		p.addf(n.Line, "%s: must be greater than 0, got %s", what, n.Value)
		return 1
	}
	if f > 1e6 {
		p.addf(n.Line, "%s: %s is too large", what, n.Value)
		return 1
	}
	return f
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.addf(n.Line, "%s: want true or false, got %q", what, n.Value)
		return false
	}
	b, _ := strconv.ParseBool(n.Value)
	return b
}

func (p *parser) refs(n *yaml.Node, what string) []ref {
	var out []ref
	for _, it := range p.seq(n, what) {
		name := p.str(it, what)
		if name == "" {
			p.addf(it.Line, "%s: empty group name", what)
			continue
		}
		out = append(out, ref{name: name, line: it.Line})
	}
	return out
}

func (p *parser) groups(n *yaml.Node) []group {
	var out []group
	p.mapping(n, "groups", func(name string, k, v *yaml.Node) {
		if !groupRE.MatchString(name) {
			p.addf(k.Line, "group name %q: use lower-case letters, digits, dashes and underscores", name)
		}
		g := group{name: name, line: k.Line}
		before := len(p.probs)
		p.mapping(v, "group "+name, func(lang string, lk, lv *yaml.Node) {
			switch lang {
			case "entities":
				g.entities = p.selectors(lv)
			case "distinct":
				g.distinct = p.count(lv, "distinct", 1, 10)
			case "include":
				g.include = p.refs(lv, "include")
			default:
				g.terms = append(g.terms, p.langTerms(lang, lk, lv)...)
			}
		})
		if len(g.terms) == 0 && len(g.entities) == 0 && len(g.include) == 0 && len(p.probs) == before {
			p.addf(k.Line, "group %s: no terms", name)
		}
		out = append(out, g)
	})
	return out
}

// langTerms reads the terms under a language key.
func (p *parser) langTerms(lang string, k, v *yaml.Node) []termSrc {
	if !textmatch.ValidLang(lang) {
		p.addf(k.Line, "unknown language key %q (want any or an ISO 639-1 code Vigie knows, such as en, fr, zh)", lang)
		return nil
	}
	var out []termSrc
	items := p.seq(v, lang)
	if len(items) == 0 {
		p.addf(k.Line, "%s: no terms", lang)
	}
	for _, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
			p.addf(it.Line, "%s: a term must be a string", lang)
			continue
		}
		if msg := textmatch.Problem(it.Value); msg != "" {
			p.addf(it.Line, "%s: term %q: %s", lang, it.Value, msg)
			continue
		}
		out = append(out, termSrc{text: strings.TrimSpace(it.Value), lang: lang, line: it.Line})
	}
	return out
}

func (p *parser) topics(n *yaml.Node) []topic {
	var out []topic
	seen := make(map[string]int)
	for _, tn := range p.seq(n, "topics") {
		t := topic{line: tn.Line, threshold: defaultThreshold}
		if tn.Kind != yaml.MappingNode {
			p.addf(tn.Line, "topics: each topic is a mapping with id, threshold, terms")
			continue
		}
		var termsLine int
		p.mapping(tn, "topic", func(key string, k, v *yaml.Node) {
			switch key {
			case "id":
				t.id = p.str(v, key)
				if t.id != "" && !nameRE.MatchString(t.id) {
					p.addf(v.Line, "topic id %q: use lower-case letters, digits and dashes ([a-z0-9-]+)", t.id)
				}
			case "description":
				t.description = p.str(v, key)
			case "threshold":
				t.threshold = p.positive(v, key)
			case "require":
				t.require = p.refs(v, key)
			case "terms":
				termsLine = k.Line
				t.entries = p.entries(v, "terms", true)
			default:
				p.addf(k.Line, "unknown key %q in topic (want id, description, threshold, require, terms)", key)
			}
		})
		switch {
		case t.id == "":
			p.addf(tn.Line, "topic without id")
		case seen[t.id] != 0:
			p.addf(tn.Line, "duplicate topic id %q (first at line %d)", t.id, seen[t.id])
		default:
			seen[t.id] = tn.Line
		}
		if termsLine == 0 {
			p.addf(tn.Line, "topic %s: missing terms", t.id)
		} else if len(t.entries) == 0 {
			p.addf(termsLine, "topic %s: no terms", t.id)
		}
		out = append(out, t)
	}
	return out
}

// entries reads a list of weighted term entries (a topic's terms, or
// negative); alone is only allowed in topics.
func (p *parser) entries(n *yaml.Node, what string, inTopic bool) []entry {
	var out []entry
	for _, en := range p.seq(n, what) {
		if en.Kind != yaml.MappingNode {
			p.addf(en.Line, "%s: each item is a mapping of weight and language keys (en: [...])", what)
			continue
		}
		e := entry{line: en.Line, weight: defaultWeight}
		before := len(p.probs)
		p.mapping(en, what, func(key string, k, v *yaml.Node) {
			switch key {
			case "weight":
				e.weight = p.positive(v, key)
			case "alone":
				if !inTopic {
					p.addf(k.Line, "alone has no meaning in negative")
				}
				e.alone = p.boolean(v, key)
			case "near":
				e.near = p.nearList(v)
			case "unless":
				e.unless = p.nearList(v)
			default:
				if textmatch.ValidLang(key) {
					e.terms = append(e.terms, p.langTerms(key, k, v)...)
					return
				}
				p.addf(k.Line, "unknown key %q (want weight, alone, near, unless, or a language key such as en, fr, any)", key)
			}
		})
		if len(e.terms) == 0 && len(p.probs) == before {
			p.addf(en.Line, "%s: no terms in this item", what)
		}
		out = append(out, e)
	}
	return out
}

// selectors reads a group's entities: states, orgs, or keys of states
// (ISO 3166-1 alpha-2) and bodies (acronyms).
func (p *parser) selectors(n *yaml.Node) []ref {
	var out []ref
	for _, it := range p.seq(n, "entities") {
		s := strings.TrimSpace(p.str(it, "entities"))
		switch {
		case s == "":
			p.addf(it.Line, "entities: empty selector")
			continue
		case s == selStates || s == selOrgs:
		case entities.IsStateKey(s) || knownOrg(s):
		case len(s) == 2:
			p.addf(it.Line, "entities: %q is not an ISO 3166-1 alpha-2 country code", s)
			continue
		case entities.IsOrgKey(s):
		default:
			p.addf(it.Line, "entities: %q is neither states, orgs, a state's ISO 3166-1 alpha-2 code nor a body's upper-case acronym", s)
			continue
		}
		out = append(out, ref{name: s, line: it.Line})
	}
	if len(out) == 0 && n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.addf(n.Line, "entities: no selector")
	}
	return out
}

// knownOrg reports whether the built-in entity files define a body key.
func knownOrg(key string) bool {
	k, ok := entities.BuiltinKind(key)
	return ok && k == entities.Org
}

// count reads a whole number from lo to hi.
func (p *parser) count(n *yaml.Node, what string, lo, hi int) int {
	w, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || w < lo || w > hi {
		p.addf(n.Line, "%s: want a whole number from %d to %d, got %q", what, lo, hi, n.Value)
		return lo
	}
	return w
}

// nearList reads one near condition or a list of them.
func (p *parser) nearList(n *yaml.Node) []near {
	if n.Kind != yaml.SequenceNode {
		return []near{p.near(n)}
	}
	var out []near
	for _, nv := range n.Content {
		out = append(out, p.near(nv))
	}
	return out
}

func (p *parser) near(n *yaml.Node) near {
	nr := near{}
	var haveGroup, haveWithin bool
	p.mapping(n, "near", func(key string, k, v *yaml.Node) {
		switch key {
		case "group":
			haveGroup = true
			nr.group = ref{name: p.str(v, "near.group"), line: v.Line}
			if nr.group.name == "" {
				p.addf(v.Line, "near.group: empty group name")
			}
		case "within":
			haveWithin = true
			nr.within = p.count(v, "near.within", 1, maxWithin)
		default:
			p.addf(k.Line, "unknown key %q in near (want group, within)", key)
		}
	})
	if !haveGroup || !haveWithin {
		p.addf(n.Line, "near: want {group: NAME, within: WORDS} or a list of them")
	}
	return nr
}

// checkRefs reports group names used in require and near that no group defines.
func (p *parser) checkRefs(r *rules) {
	defined := make(map[string]bool)
	for _, g := range r.groups {
		defined[g.name] = true
	}
	check := func(rf ref, where string) {
		if rf.name != "" && !defined[rf.name] {
			p.addf(rf.line, "%s: unknown group %q", where, rf.name)
		}
	}
	for _, rf := range r.require {
		check(rf, "require")
	}
	includes := make(map[string]bool)
	for _, g := range r.groups {
		includes[g.name] = len(g.include) > 0
	}
	for _, g := range r.groups {
		for _, rf := range g.include {
			check(rf, "group "+g.name+": include")
			if includes[rf.name] {
				p.addf(rf.line, "group %s: include: %s includes groups itself (one level only)", g.name, rf.name)
			}
		}
	}
	for _, t := range r.topics {
		for _, rf := range t.require {
			check(rf, "topic "+t.id+": require")
		}
		for _, e := range t.entries {
			for _, n := range e.near {
				check(n.group, "near")
			}
			for _, n := range e.unless {
				check(n.group, "unless")
			}
		}
	}
	for _, e := range r.negative {
		for _, n := range e.near {
			check(n.group, "near")
		}
		for _, n := range e.unless {
			check(n.group, "unless")
		}
	}
}
