package daemon

// UserAgent names Vigie and its version to the sites it reads.
func UserAgent() string {
	return "Vigie/" + Version + " (news monitor; +https://github.com/vigie-news/vigie)"
}
