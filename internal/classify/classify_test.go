package classify

import (
	"errors"
	"strings"
	"testing"
)

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOutputLost: a result that could not be written is an error.
func TestOutputLost(t *testing.T) {
	t.Parallel()
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Explain("a.txt", []byte("Titre\nLe texte."), failingWriter{}); err == nil {
		t.Error("no error when the explanation could not be written")
	}
	if err := c.JSONL(strings.NewReader(`{"id":"a","title":"Titre","text":"Le texte."}`+"\n"), failingWriter{}); err == nil {
		t.Error("no error when the result line could not be written")
	}
}

// TestDetectAndClassify: a given language is taken as it is, with
// confidence 1; otherwise it is detected, the hint and declared language
// being priors only.
func TestDetectAndClassify(t *testing.T) {
	t.Parallel()
	c, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   Input
		lang string
		conf func(float64) bool
	}{
		{"given", Input{ID: "g", Title: "Le rapport de l'OEWG", Lang: "en"}, "en", func(c float64) bool { return c == 1 }},
		{"detected", Input{ID: "d", Title: "Le Conseil de sécurité adopte une résolution sur la cybersécurité des infrastructures"}, "fr", func(c float64) bool { return c > 0 && c <= 1 }},
		{"a hint that the text belies", Input{ID: "h", Title: "Le gouvernement renforce la cybersécurité des hôpitaux", Hint: "vi"}, "fr", func(c float64) bool { return c > 0 && c <= 1 }},
	}
	for _, tt := range tests {
		out, _ := c.DetectAndClassify(tt.in)
		if out.ID != tt.in.ID || out.Lang != tt.lang || !tt.conf(out.LangConfidence) || out.Alerts == nil {
			t.Errorf("%s: %+v, want language %s", tt.name, out, tt.lang)
		}
	}
}
