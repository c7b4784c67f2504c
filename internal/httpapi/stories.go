package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/vigie-news/vigie/internal/story"
)

// StorySource lists the stories /api/stories shows: those with at least
// minItems reports, the latest first, at most limit.
type StorySource interface {
	Stories(ctx context.Context, minItems, limit int) ([]story.View, error)
}

// Limits of /api/stories.
const (
	DefaultStories = 50
	MaxStories     = 500
)

// ServeStories answers /api/stories from src, beside the status page's
// API and behind its token. Call it before Start.
func (s *Server) ServeStories(src StorySource) { s.stories = src }

// storiesAPI answers /api/stories?limit=N&min_items=M.
func (p *statusPage) storiesAPI(w http.ResponseWriter, r *http.Request) {
	src := p.srv.stories
	if src == nil {
		apiError(w, http.StatusNotFound, "this server shows no stories")
		return
	}
	limit, ok := limitParam(w, r, DefaultStories, MaxStories)
	if !ok {
		return
	}
	minItems := 1
	if v := r.URL.Query().Get("min_items"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			apiError(w, http.StatusBadRequest, "min_items: want a whole number, 1 or more")
			return
		}
		minItems = n
	}
	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	views, err := src.Stories(ctx, minItems, limit)
	if err != nil {
		p.unavailable(w, err)
		return
	}
	p.available()
	writeJSON(w, r, struct {
		Limit    int          `json:"limit"`
		MinItems int          `json:"min_items"`
		Stories  []story.View `json:"stories"`
	}{limit, minItems, views})
}
