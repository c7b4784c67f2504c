// Command gencldr writes states.cldr.yaml, the generated entity file of
// internal/entities: the names of the states (the 193 UN member states, the
// two observer states, Taiwan and Kosovo) in the ten languages Vigie names
// states in, taken from CLDR through golang.org/x/text/language/display.
//
// The CLDR names are cleaned so that they work as match terms (see
// internal/entities/FORMAT.md): "Myanmar (Burma)" gives "Myanmar" and
// "Burma"; the qualified forms of the two Congos ("Congo - Kinshasa",
// "刚果（金）") are kept whole, without the bare "Congo" they share; in
// English "&" is also written "and" and "St." "Saint". A name that comes out
// the same (as matched) for two states is dropped and reported on stderr,
// for a human to curate in the states-*.yaml files.
//
// It is run by go generate in internal/entities:
//
//	go run ./internal/gencldr -o data/states.cldr.yaml
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"gopkg.in/yaml.v3"

	"github.com/vigie-news/vigie/internal/textmatch"
)

// keys are the states named: the 193 UN member states, the observer states
// VA (Holy See) and PS (Palestine), TW (Taiwan) and XK (Kosovo), sorted.
var keys = strings.Fields(`
AD AE AF AG AL AM AO AR AT AU AZ BA BB BD BE BF BG BH BI BJ BN BO BR BS BT
BW BY BZ CA CD CF CG CH CI CL CM CN CO CR CU CV CY CZ DE DJ DK DM DO DZ EC
EE EG ER ES ET FI FJ FM FR GA GB GD GE GH GM GN GQ GR GT GW GY HN HR HT HU
ID IE IL IN IQ IR IS IT JM JO JP KE KG KH KI KM KN KP KR KW KZ LA LB LC LI
LK LR LS LT LU LV LY MA MC MD ME MG MH MK ML MM MN MR MT MU MV MW MX MY MZ
NA NE NG NI NL NO NP NR NZ OM PA PE PG PH PK PL PS PT PW PY QA RO RS RU RW
SA SB SC SD SE SG SI SK SL SM SN SO SR SS ST SV SY SZ TD TG TH TJ TL TM TN
TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VN VU WS XK YE ZA ZM ZW
`)

// nonUN are the keys of keys that are not UN member states.
var nonUN = []string{"PS", "TW", "VA", "XK"}

// langs are the language keys written, in the order written, with the CLDR
// locales each is named in: zh takes the Simplified and the Traditional
// names, as the press of Taiwan and Hong Kong writes the latter.
var langs = []struct {
	key  string
	tag  language.Tag
	also []language.Tag
}{
	{"en", language.English, nil},
	{"fr", language.French, nil},
	{"es", language.Spanish, nil},
	{"pt", language.Portuguese, nil},
	{"de", language.German, nil},
	{"ru", language.Russian, nil},
	{"zh", language.SimplifiedChinese, []language.Tag{language.TraditionalChinese}},
	{"ja", language.Japanese, nil},
	{"ar", language.Arabic, nil},
	{"vi", language.Vietnamese, nil},
}

// qualified are the states whose CLDR names carry a qualifier that tells
// them from another state of the same name ("Congo - Kinshasa",
// "刚果（金）"): the qualifier is no name of its own, so their names are
// kept whole (with the part before the qualifier, unless two states share
// it).
var qualified = map[string]bool{"CD": true, "CG": true}

var (
	// parenRE matches "Name (Other)", with ASCII or full-width brackets.
	parenRE = regexp.MustCompile(`^(.+?)\s*[(（]\s*(.+?)\s*[)）]$`)
	// dashRE matches "Name - Qualifier", the form CLDR uses to tell
	// regions of the same name apart (split only for the qualified
	// states: "Папуа — Новая Гвинея" is one name).
	dashRE = regexp.MustCompile(`^(.+?)\s+[-‐‑–—]\s+(.+)$`)
)

func main() {
	out := flag.String("o", "data/states.cldr.yaml", "the file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencldr:", err)
		os.Exit(1)
	}
}

// names holds, for each key, the names in each language (indexed as langs).
type names map[string][][]string

func run(out string) error {
	if err := checkKeys(); err != nil {
		return err
	}
	all, err := collect()
	if err != nil {
		return err
	}
	dropShared(all)
	for _, k := range keys {
		for i, l := range langs {
			if len(all[k][i]) == 0 {
				return fmt.Errorf("%s: no %s name left", k, l.key)
			}
			for _, n := range all[k][i] {
				if p := textmatch.Problem(n); p != "" || strings.Contains(n, "*") {
					return fmt.Errorf("%s %s: bad name %q: %s", k, l.key, n, p)
				}
			}
		}
	}
	data := render(all)
	if err := verify(data, all); err != nil {
		return fmt.Errorf("%s would not read back: %w", out, err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	written, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	if err := verify(written, all); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return nil
}

// checkKeys checks that keys are sorted, distinct, 197 in all, and region
// codes of golang.org/x/text/language.
func checkKeys() error {
	if len(keys) != 197 || len(keys)-len(nonUN) != 193 {
		return fmt.Errorf("%d keys, want 197", len(keys))
	}
	for i, k := range keys {
		if i > 0 && keys[i-1] >= k {
			return fmt.Errorf("keys not sorted or repeated at %s", k)
		}
		r, err := language.ParseRegion(k)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if r.String() != k {
			return fmt.Errorf("%s: x/text reads it as %s", k, r)
		}
		// XK is user-assigned in ISO 3166-1, but CLDR (and x/text)
		// treat it as Kosovo, a country.
		if !r.IsCountry() {
			return fmt.Errorf("%s: not a country for x/text", k)
		}
	}
	return nil
}

// collect takes the CLDR name of every key in every language and cleans it.
func collect() (names, error) {
	all := names{}
	for _, k := range keys {
		r := language.MustParseRegion(k)
		all[k] = make([][]string, len(langs))
		for i, l := range langs {
			namer := display.Regions(l.tag)
			if namer == nil {
				return nil, fmt.Errorf("x/text has no region names in %s", l.key)
			}
			name := strings.TrimSpace(namer.Name(r))
			if name == "" {
				return nil, fmt.Errorf("%s: x/text has no %s name", k, l.key)
			}
			all[k][i] = clean(k, l.key, name)
			for _, tag := range l.also {
				if other := strings.TrimSpace(display.Regions(tag).Name(r)); other != "" {
					all[k][i] = appendNew(all[k][i], l.key, clean(k, l.key, other))
				}
			}
		}
	}
	return all, nil
}

// clean turns one CLDR name into match terms.
func clean(key, lang, name string) []string {
	var out []string
	if m := parenRE.FindStringSubmatch(name); m != nil {
		if qualified[key] {
			out = append(out, name, m[1])
		} else {
			out = append(out, m[1], m[2])
		}
	} else if m := dashRE.FindStringSubmatch(name); m != nil && qualified[key] {
		out = append(out, name, m[1])
	} else {
		out = append(out, name)
	}
	if lang == "en" {
		for _, n := range out {
			alt := strings.ReplaceAll(n, " & ", " and ")
			if s, ok := strings.CutPrefix(alt, "St. "); ok {
				alt = "Saint " + s
			}
			out = append(out, alt)
		}
	}
	var kept []string
	seen := map[string]bool{}
	for _, n := range out {
		n = strings.Join(strings.Fields(n), " ")
		f := textmatch.Form(n, lang)
		if n == "" || seen[f] {
			continue
		}
		seen[f] = true
		kept = append(kept, n)
	}
	return kept
}

// appendNew appends to names those of more that match differently.
func appendNew(names []string, lang string, more []string) []string {
	for _, m := range more {
		f := textmatch.Form(m, lang)
		if !slices.ContainsFunc(names, func(n string) bool { return textmatch.Form(n, lang) == f }) {
			names = append(names, m)
		}
	}
	return names
}

// dropShared drops the names that two different keys share, as matched,
// and reports them on stderr.
func dropShared(all names) {
	owners := map[string][]string{}
	for _, k := range keys {
		for i, l := range langs {
			for _, n := range all[k][i] {
				f := textmatch.Form(n, l.key)
				if !slices.Contains(owners[f], k) {
					owners[f] = append(owners[f], k)
				}
			}
		}
	}
	for _, k := range keys {
		for i, l := range langs {
			all[k][i] = slices.DeleteFunc(all[k][i], func(n string) bool {
				o := owners[textmatch.Form(n, l.key)]
				if len(o) < 2 {
					return false
				}
				fmt.Fprintf(os.Stderr, "gencldr: dropped %s %s %q: shared by %s\n", k, l.key, n, strings.Join(o, " "))
				return true
			})
		}
	}
}

// render writes the YAML file.
func render(all names) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Code generated by go generate ./internal/entities; DO NOT EDIT.\n")
	fmt.Fprintf(&b, "#\n")
	fmt.Fprintf(&b, "# The names of the states in CLDR %s, through golang.org/x/text/language/display\n", display.CLDRVersion)
	fmt.Fprintf(&b, "# (golang.org/x/text %s), written by internal/gencldr. Do not edit this file\n", textVersion())
	fmt.Fprintf(&b, "# by hand: add names in the curated states-*.yaml files.\n")
	fmt.Fprintf(&b, "states:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  - key: %s\n", k)
		for i, l := range langs {
			q := make([]string, len(all[k][i]))
			for j, n := range all[k][i] {
				q[j] = quote(n)
			}
			fmt.Fprintf(&b, "    %s: [%s]\n", l.key, strings.Join(q, ", "))
		}
	}
	return b.Bytes()
}

// textVersion is the version of golang.org/x/text the generator was built
// with.
func textVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "golang.org/x/text" {
				if d.Replace != nil {
					d = d.Replace
				}
				return d.Version
			}
		}
	}
	return "(unknown version)"
}

// plainRE matches the names that can be written as plain scalars in a flow
// sequence: a letter first, then letters, marks, digits, spaces, dots and
// hyphens, and nothing YAML would read as other than a string.
var plainRE = regexp.MustCompile(`^\pL[\pL\pM\pN .\-]*$`)

// quote writes a name as a YAML flow-sequence item.
func quote(s string) string {
	if plainRE.MatchString(s) && !strings.HasSuffix(s, " ") && !special(s) {
		return s
	}
	return strconv.Quote(s)
}

// special reports whether YAML 1.1 or 1.2 would resolve a plain s to a
// non-string (booleans, null).
func special(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return true
	}
	return false
}

// verify reads data back with yaml.v3 and checks that it holds all.
func verify(data []byte, all names) error {
	var doc struct {
		States []map[string]yaml.Node `yaml:"states"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.States) != len(keys) {
		return fmt.Errorf("%d states, want %d", len(doc.States), len(keys))
	}
	for i, st := range doc.States {
		k := keys[i]
		var key string
		if n, ok := st["key"]; !ok || n.Decode(&key) != nil || key != k {
			return fmt.Errorf("state %d: key %q, want %s", i, key, k)
		}
		if len(st) != len(langs)+1 {
			return fmt.Errorf("%s: %d fields, want %d", k, len(st), len(langs)+1)
		}
		for j, l := range langs {
			var got []string
			n, ok := st[l.key]
			if !ok || n.Kind != yaml.SequenceNode || n.Decode(&got) != nil {
				return fmt.Errorf("%s: %s is not a list of names", k, l.key)
			}
			for _, c := range n.Content {
				if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
					return fmt.Errorf("%s %s: %q reads as %s", k, l.key, c.Value, c.Tag)
				}
			}
			if !slices.Equal(got, all[k][j]) {
				return fmt.Errorf("%s %s: read %q, wrote %q", k, l.key, got, all[k][j])
			}
		}
	}
	return nil
}
