package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigie-news/vigie/internal/diag"
)

// MinTokenLength is the shortest token http.token_file may hold: the page
// may face a network, where a short token is soon guessed.
const MinTokenLength = 16

// IsLoopback reports whether a listen address (host:port) serves this
// machine only: localhost or a loopback IP. An empty host listens on
// every interface.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// TokenPath is the path of http.token_file, a relative one taken from the
// configuration file's directory; "" when it is not set.
func (c *Config) TokenPath() string {
	p := strings.TrimSpace(c.HTTP.TokenFile)
	if p != "" && !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(c.Path), p)
	}
	return p
}

// HTTPToken reads the token of http.token_file: the file's content without
// the white space around it. It returns "" when no file is set. A file that
// cannot be read or holds no token is a problem of the configuration,
// reported as file:line; the token itself is never in a message.
func (c *Config) HTTPToken() (string, error) {
	path := c.TokenPath()
	if path == "" {
		return "", nil
	}
	line := c.lines.of("http", "token_file")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", diag.List{{File: c.Path, Line: line, Msg: "http.token_file: " + err.Error()}}
	}
	token := strings.TrimSpace(string(data))
	switch {
	case token == "":
		return "", diag.List{{File: c.Path, Line: line, Msg: "http.token_file: " + path + " is empty: write the token in it"}}
	case strings.ContainsAny(token, " \t\r\n"):
		return "", diag.List{{File: c.Path, Line: line, Msg: "http.token_file: " + path + " holds more than one word: the token is one line without spaces"}}
	case len(token) < MinTokenLength:
		return "", diag.List{{File: c.Path, Line: line, Msg: fmt.Sprintf("http.token_file: the token in %s is shorter than %d characters: make one with openssl rand -hex 32", path, MinTokenLength)}}
	}
	return token, nil
}
