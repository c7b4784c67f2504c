package version

import (
	"strings"
	"testing"
)

func TestUserAgent(t *testing.T) {
	ua := UserAgent()
	if Version == "" || !strings.HasPrefix(ua, Product+"/"+Version+" (") || !strings.Contains(ua, "https://github.com/vigie-news/vigie") {
		t.Errorf("UserAgent() = %q (version %q): want Vigie/<version> and where to learn about it", ua, Version)
	}
}
