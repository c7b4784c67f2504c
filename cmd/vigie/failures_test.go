package main

import (
	"strings"
	"testing"
)

// TestFailuresUsage: vigie failures wants list, resend or purge, and resend
// and purge want the failures named; both are usage errors (exit 2),
// reported before any connection.
func TestFailuresUsage(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "feeds.yaml", "feeds:\n  - id: a\n    url: https://a.example/\n")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"failures"}, `want list, resend or purge, not ""`},
		{[]string{"failures", "drop"}, `want list, resend or purge, not "drop"`},
		{[]string{"failures", "--route", "x"}, `want list, resend or purge`},
		{[]string{"failures", "resend", "--config", path}, "vigie failures resend: name the failed deliveries: their IDs, --route, --older-than, or --all"},
		{[]string{"failures", "purge", "--config", path}, "vigie failures purge: name the failed deliveries"},
	}
	for _, tt := range tests {
		code, _, errOut := vigie(t, "", tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}
