package classifiers

import (
	"slices"
	"testing"

	"github.com/vigie-news/vigie"
)

// actorRules score one topic from what a state or two states do about
// cyberspace; the entity layer finds the states in every language.
const actorRules = `
name: actors
threshold: 2
groups:
  cyber:
    en: [cyber*, hackers]
    fr: [cyber*, piratage]
  state:
    entities: [states]
  two-states:
    entities: [states]
    distinct: 2
  body:
    entities: [orgs]
  vietnam:
    entities: [VN]
  actors:
    include: [two-states, body]
  business:
    en: [company, firm]
topics:
  - id: sanctions
    terms:
      - weight: 2
        near: [{group: cyber, within: 8}, {group: state, within: 8}]
        en: [sanctioned]
        fr: [sanctionné*]
  - id: talks
    terms:
      - weight: 2
        near: [{group: cyber, within: 8}, {group: actors, within: 8}]
        en: [talks]
  - id: deals
    terms:
      - weight: 2
        near: [{group: cyber, within: 8}, {group: two-states, within: 8}]
        unless: {group: business, within: 3}
        en: [signed]
  - id: desk
    terms:
      - weight: 2
        near: {group: vietnam, within: 5}
        en: [cybersecurity]
`

func TestActors(t *testing.T) {
	c, err := Parse("actors.yaml", []byte(actorRules))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		topics     []string
	}{
		{"a state sanctions over hacking", "Washington sanctioned hackers on Tuesday.", []string{"sanctions"}},
		{"the same act in French, the state as a demonym", "Des pirates russes sanctionnés pour piratage.", []string{"sanctions"}},
		{"no state: a company's act", "The firm sanctioned two employees over the hackers.", nil},
		{"the state too far from the act", "Washington said a lot of things about many other matters today and then it sanctioned hackers.", nil},
		{"talks between two states", "Japan and India held cyber talks in Tokyo.", []string{"talks"}},
		{"one state is not talks between states", "Japan held cyber talks with its companies.", nil},
		{"a body is an actor", "OSCE cyber talks opened in Vienna.", []string{"talks"}},
		{"a state twice is still one", "Japan held cyber talks, the Japanese minister said.", nil},
		{"states sign", "France and Japan signed a cybersecurity pact.", []string{"deals"}},
		{"companies sign", "A French firm and a Japanese company signed a cybersecurity deal.", nil},
		{"a company far from the act", "France and Japan signed a cybersecurity pact; the secretariat will be hosted in Osaka by a company.", []string{"deals"}},
		{"a given state", "Vietnam cybersecurity week opened.", []string{"desk"}},
		{"another state than the given one", "Laos cybersecurity week opened.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Classify(Doc{Text: tt.text})
			var got []string
			for _, tp := range r.Topics {
				got = append(got, tp.ID)
			}
			if !slices.Equal(got, tt.topics) {
				t.Errorf("topics %v, want %v\n%s", got, tt.topics, r.Explain())
			}
		})
	}
}

func TestActorEvidence(t *testing.T) {
	c, err := Parse("actors.yaml", []byte(actorRules))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Classify(Doc{Title: "Cyber talks", Text: "Москва и Пекин: cyber talks."})
	if len(r.Topics) != 1 {
		t.Fatalf("topics %+v", r.Topics)
	}
	ev := r.Topics[0].Evidence
	for _, want := range []vigie.Evidence{
		{Term: "talks", Field: "text", Count: 1},
		{Term: "Москва", Field: "text", Count: 1, Entity: "RU"},
		{Term: "Пекин", Field: "text", Count: 1, Entity: "CN"},
	} {
		if !slices.Contains(ev, want) {
			t.Errorf("evidence %+v lacks %+v", ev, want)
		}
	}
	if r.Topics[0].Score != 2 {
		t.Errorf("score %v: entities must add nothing to the score", r.Topics[0].Score)
	}
}
