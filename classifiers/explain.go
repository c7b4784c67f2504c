package classifiers

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vigie-news/vigie"
)

// Explain describes the result for a reader, one fact a line: the score
// against the threshold, each topic with its terms, fields and counts,
// the topics that stayed under their threshold, the negative terms, and
// the required groups the item lacks.
func (r Result) Explain() string {
	var b strings.Builder
	verdict := "no match"
	if r.Matched {
		verdict = "match"
	}
	fmt.Fprintf(&b, "%s: %s, score %s (threshold %s)", r.Classifier, verdict, num(r.Score), num(r.threshold))
	if r.lang != "" {
		fmt.Fprintf(&b, ", lang %s", r.lang)
	}
	b.WriteByte('\n')
	if len(r.groups) > 0 {
		fmt.Fprintf(&b, "  groups found: %s\n", strings.Join(r.groups, ", "))
	}
	if len(r.missing) > 0 {
		fmt.Fprintf(&b, "  required group missing: %s (only terms marked alone score)\n", strings.Join(r.missing, ", "))
	}
	for _, t := range r.Topics {
		writeTopic(&b, t, "", r.points[t.ID])
	}
	for _, t := range r.below {
		writeTopic(&b, t, " (under the topic threshold: not counted)", r.points[t.ID])
	}
	if len(r.negatives) > 0 {
		fmt.Fprintf(&b, "  negative -%s\n", num(r.negScore))
		writeEvidence(&b, r.negatives, r.negPoints, "-")
	}
	if len(r.Topics) == 0 && len(r.below) == 0 && len(r.negatives) == 0 {
		b.WriteString("  no term found\n")
	}
	return b.String()
}

func writeTopic(b *strings.Builder, t vigie.Topic, note string, points []float64) {
	fmt.Fprintf(b, "  topic %s %s%s\n", t.ID, num(t.Score), note)
	writeEvidence(b, t.Evidence, points, "+")
}

// writeEvidence writes one line per term and field, with what it added
// (or, for negative terms, took away) when known.
func writeEvidence(b *strings.Builder, evs []vigie.Evidence, points []float64, sign string) {
	for i, e := range evs {
		fmt.Fprintf(b, "    %q in %s x%d", e.Term, e.Field, e.Count)
		if i < len(points) && points[i] != 0 {
			fmt.Fprintf(b, " %s%s", sign, num(points[i]))
		}
		b.WriteByte('\n')
	}
}

// num formats a score without needless decimals.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}
