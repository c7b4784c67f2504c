package entities

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigie-news/vigie/internal/diag"
)

// languages are the ten languages every state must be named in.
var languages = []string{"ar", "de", "en", "es", "fr", "ja", "pt", "ru", "vi", "zh"}

// TestEveryStateNamedInEveryLanguage checks the built-in files: the 193 UN
// members, the two observers, Taiwan and Kosovo, each with a name in each
// of the ten languages.
func TestEveryStateNamedInEveryLanguage(t *testing.T) {
	r := newReader()
	for _, f := range Builtin() {
		r.read(f)
	}
	r.check()
	if err := r.probs.Err(); err != nil {
		t.Fatalf("built-in entity files:\n%v", err)
	}
	states := 0
	for _, id := range r.order {
		e := r.entities[id]
		if e.kind != State {
			continue
		}
		states++
		for _, l := range languages {
			if !slices.ContainsFunc(e.names, func(n nameSrc) bool { return n.lang == l }) {
				t.Errorf("state %s has no name in %s", e.key, l)
			}
		}
	}
	if states != 197 {
		t.Errorf("%d states, want 197 (193 members, 2 observers, TW, XK)", states)
	}
	for _, k := range []string{"VA", "PS", "TW", "XK", "SS", "US", "CN"} {
		if _, ok := r.entities[State.prefix()+k]; !ok {
			t.Errorf("state %s missing", k)
		}
	}
}

func TestParseProblems(t *testing.T) {
	const base = "states:\n  - key: FR\n    fr: [France]\n"
	tests := []struct {
		name string
		src  string
		want []string // "file:line: part of the message"
	}{
		{"not ISO", "states:\n  - key: XY\n    en: [Xland]\n", []string{`extra.yaml:2: state key "XY" is not an ISO 3166-1 alpha-2`}},
		{"lower-case key", "states:\n  - key: fr\n    en: [France]\n", []string{`extra.yaml:2: state key "fr"`}},
		{"body key", "orgs:\n  - key: un-odc\n    en: [UNODC]\n", []string{`extra.yaml:2: body key "un-odc"`}},
		{"duplicate name", base + "  - key: DE\n    en: [France]\n", []string{`extra.yaml:5: name "France" is also a name of state FR (extra.yaml:3)`}},
		{"duplicate name folded", base + "orgs:\n  - key: FRA\n    en: [france]\n", []string{`extra.yaml:6: name "france" is also a name of state FR`}},
		{"empty name", "states:\n  - key: FR\n    fr: [France, '', ' ']\n", []string{"extra.yaml:3: fr: empty name"}},
		{"dashes only", "states:\n  - key: FR\n    fr: ['--']\n", []string{`extra.yaml:3: fr: name "--": empty term`}},
		{"punctuation name", "states:\n  - key: FR\n    fr: ['...']\n", []string{`extra.yaml:3: fr: name "...": a term needs at least one letter`}},
		{"key twice", base + "  - key: FR\n    en: [French]\n", []string{"extra.yaml:4: key FR defined twice in this file (first at line 2)"}},
		{"unknown language", "states:\n  - key: FR\n    french: [France]\n", []string{`extra.yaml:3: unknown key "french"`}},
		{"no key", "states:\n  - en: [France]\n", []string{"extra.yaml:2: states: entity without key"}},
		{"combo of one", base + "combos:\n  - keys: [FR]\n    zh: [法]\n", []string{"extra.yaml:5: combo: want keys: [two or more states]"}},
		{"combo of an unknown state", base + "combos:\n  - keys: [FR, DE]\n    zh: [法德]\n", []string{"extra.yaml:5: combo: no file defines state DE"}},
		{"excluded name", base + "exclude:\n  en: [France]\n", []string{`extra.yaml:5: name "France" is also a name of state FR`}},
		{"unknown section", "countries:\n  - key: FR\n", []string{`extra.yaml:1: unknown key "countries"`}},
		{"syntax", "states: [\n", []string{"extra.yaml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(File{Name: "extra.yaml", Data: []byte(tt.src)})
			if err == nil {
				t.Fatalf("Parse accepted %q", tt.src)
			}
			if s != nil {
				t.Error("Parse returned a set with an error")
			}
			var l diag.List
			if !errorsAs(err, &l) {
				t.Fatalf("error %T, want diag.List", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems do not include %q:\n%v", w, err)
				}
			}
		})
	}
}

func errorsAs(err error, l *diag.List) bool {
	dl, ok := err.(diag.List)
	*l = dl
	return ok
}

// A clash between a user's file and a built-in one is reported in the
// user's file, read after.
func TestClashReportedInLaterFile(t *testing.T) {
	files := append(Builtin(), File{Name: "desk.yaml", Data: []byte("states:\n  - key: DE\n    en: [France]\n")})
	_, err := Parse(files...)
	if err == nil || !strings.HasPrefix(err.Error(), "desk.yaml:3: ") {
		t.Fatalf("error %v, want it at desk.yaml:3", err)
	}
}

func TestFind(t *testing.T) {
	s, err := Parse(File{Name: "t.yaml", Data: []byte(`
states:
  - key: PG
    en: [Papua New Guinea]
  - key: GN
    en: [Guinea]
  - key: VN
    vi: [Nga]
  - key: RU
    ru: [Росси*]
    ar: [روسيا]
  - key: DK
    ru: [Дания]
  - key: LA
    en: [Laos]
  - key: QA
    es: [Catar]
orgs:
  - key: UN
    en: [UN]
combos:
  - keys: [RU, VN]
    zh: [俄越]
exclude:
  en: [Guinea pig]
`)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text         string
		states, orgs []string
	}{
		{"Papua New Guinea and Guinea", []string{"GN", "PG"}, nil},
		{"a guinea pig", nil, nil},
		{"Guinea pigs in Guinea", []string{"GN"}, nil},
		{"Nga và thiên nga", []string{"VN"}, nil},
		{"thiên nga", nil, nil},
		{"в России и Россией", []string{"RU"}, nil},
		{"Данные из Дании", []string{"DK"}, nil},
		{"Данные показали", nil, nil},
		{"Lao Động, Laos", []string{"LA"}, nil},
		{"Lao Động", nil, nil},
		{"Santa Catarina e o Catar", []string{"QA"}, nil},
		{"Santa Catarina", nil, nil},
		{"ولروسيا", []string{"RU"}, nil},
		{"un pays, l'UN", nil, []string{"UN"}},
		{"俄越关系", []string{"RU", "VN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			e := s.Find("", tt.text).Entities()
			if !slices.Equal(e.States, orEmpty(tt.states)) || !slices.Equal(e.Orgs, orEmpty(tt.orgs)) {
				t.Errorf("Find(%q) = %+v, want states %v orgs %v", tt.text, e, tt.states, tt.orgs)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestMentionsInTitleAndText(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	f := s.Find("Moscou accuse Kiev", "Пекин и Вашингтон")
	var title, text []string
	for _, m := range f.Mentions {
		if m.Field == FieldTitle {
			title = append(title, m.Key+"="+m.Text)
		} else {
			text = append(text, m.Key+"="+m.Text)
		}
	}
	if !slices.Equal(title, []string{"RU=Moscou", "UA=Kiev"}) || !slices.Equal(text, []string{"CN=Пекин", "US=Вашингтон"}) {
		t.Errorf("title %v, text %v", title, text)
	}
}

// BenchmarkFind measures the entity layer alone on a news paragraph.
func BenchmarkFind(b *testing.B) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	title := "EU sanctions Russian military hackers over attacks on Germany and Estonia"
	text := strings.Repeat("The Council of the European Union imposed restrictive measures on members of the GRU unit 29155, "+
		"which Brussels, Berlin and Tallinn hold responsible for cyber attacks; Moscow rejected the accusations, "+
		"and China's foreign ministry called for dialogue at the United Nations. ", 4)
	b.SetBytes(int64(len(title) + len(text)))
	for b.Loop() {
		s.Find(title, text)
	}
}

// TestBuiltinKind checks that the keys read without compiling are the
// compiled built-in set's.
func TestBuiltinKind(t *testing.T) {
	set, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, kind := range []Kind{State, Org} {
		for _, key := range set.Keys(kind) {
			if k, ok := BuiltinKind(key); !ok || k != kind {
				t.Errorf("BuiltinKind(%q) = %v, %v; want %v", key, k, ok, kind)
			}
			n++
		}
	}
	if n != len(builtinKeys()) {
		t.Errorf("%d keys read, %d compiled", len(builtinKeys()), n)
	}
	if _, ok := BuiltinKind("NOPE"); ok {
		t.Error("an unknown key has a kind")
	}
}
