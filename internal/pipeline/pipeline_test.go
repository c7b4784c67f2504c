package pipeline

import (
	"slices"
	"testing"

	"github.com/vigie-news/vigie"
	"github.com/vigie-news/vigie/internal/entities"
)

// TestPipelineWithoutSet checks that a Pipeline built without an entity
// set (as tools may) finds entities with the built-in one.
func TestPipelineWithoutSet(t *testing.T) {
	t.Parallel()
	p := &Pipeline{}
	item, _ := p.ClassifyItem(vigie.Item{Title: "Le Vietnam et le Japon"}, "")
	if !slices.Equal(item.Entities.States, []string{"JP", "VN"}) || item.Entities.Orgs == nil {
		t.Errorf("entities %+v, want JP and VN, and an empty list of bodies", item.Entities)
	}
	if _, err := entities.Default(); err != nil {
		t.Errorf("the built-in entity files do not load: %v", err)
	}
}
