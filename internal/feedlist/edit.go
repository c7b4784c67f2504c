package feedlist

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Entry is a feed to add to feeds.yaml.
type Entry struct {
	ID       string
	URL      string
	Title    string
	Language string
}

// List is a configuration file's text and its feeds, as found in its YAML
// node tree.
type List struct {
	// Path is the file; Data its bytes as read (nil for a file that does
	// not exist yet).
	Path string
	Data []byte
	// IDs and URLs are the ids and addresses of the feeds already there.
	IDs  map[string]bool
	URLs map[string]string // same-feed key (see SameFeed) -> id
	mode fs.FileMode
	root *yaml.Node // the document's mapping; nil for an empty file
}

// Load reads a configuration file for editing. A file that does not exist
// is an empty list, written on Save.
func Load(path string) (*List, error) {
	l := &List{Path: path, IDs: map[string]bool{}, URLs: map[string]string{}, mode: 0o644}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return l, nil
	case err != nil:
		return nil, err
	}
	if st, err := os.Stat(path); err == nil {
		l.mode = st.Mode().Perm()
	}
	l.Data = data
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return l, nil // only comments
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a mapping with a feeds key", path)
	}
	l.root = root
	if feeds := mapValue(root, "feeds"); feeds != nil && feeds.Kind == yaml.SequenceNode {
		for _, f := range feeds.Content {
			id, u := "", ""
			if v := mapValue(f, "id"); v != nil {
				id = v.Value
			}
			if v := mapValue(f, "url"); v != nil {
				u = v.Value
			}
			if id != "" {
				l.IDs[id] = true
			}
			if u != "" {
				l.URLs[SameFeed(u)] = id
			}
		}
	}
	return l, nil
}

// Has returns the id of the feed already in the list at u's address, and
// whether there is one.
func (l *List) Has(u string) (string, bool) {
	id, ok := l.URLs[SameFeed(u)]
	return id, ok
}

// SameFeed is the key under which two addresses of one feed are the same:
// scheme, "www." and a trailing slash aside, host in lower case.
func SameFeed(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return strings.TrimSpace(raw)
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	host = strings.TrimSuffix(strings.TrimSuffix(host, ":443"), ":80")
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	key := host + path
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	return key
}

// Add returns the file's text with the entries appended to its feeds list,
// under a comment line when comment is not "". Only new lines are added:
// every byte of the file before is kept, comments and blank lines
// included. The YAML node tree says where the list ends and how its items
// are indented; a list written in flow style ([...]) is rewritten in block
// style, the only part of the file that changes then.
//
// The result is decoded again and compared with the file before: the same
// values under every other key, the same feeds, then the new ones. Should
// the splice not give that (YAML that the node tree does not describe
// line by line), the node tree itself is edited and encoded again, which
// keeps comments but not every blank line.
func (l *List) Add(entries []Entry, comment string) ([]byte, error) {
	data, err := l.splice(entries, comment)
	if err == nil && l.verify(data, entries) == nil {
		return data, nil
	}
	data, err = l.reencode(entries)
	if err != nil {
		return nil, err
	}
	if err := l.verify(data, entries); err != nil {
		return nil, fmt.Errorf("%s: cannot add feeds to this file: %w", l.Path, err)
	}
	return data, nil
}

// verify checks that data holds what the file held, with entries added at
// the end of its feeds list.
func (l *List) verify(data []byte, entries []Entry) error {
	var before, after map[string]any
	if err := yaml.Unmarshal(l.Data, &before); err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, &after); err != nil {
		return err
	}
	oldFeeds, _ := before["feeds"].([]any)
	newFeeds, _ := after["feeds"].([]any)
	delete(before, "feeds")
	delete(after, "feeds")
	if len(before) == 0 {
		before = nil
	}
	if len(after) == 0 {
		after = nil
	}
	if !reflect.DeepEqual(before, after) {
		return errors.New("another key would change")
	}
	if len(newFeeds) != len(oldFeeds)+len(entries) {
		return errors.New("the feeds list would not keep its feeds")
	}
	for i := range oldFeeds {
		if !reflect.DeepEqual(newFeeds[i], oldFeeds[i]) {
			return errors.New("the feeds list would not keep its feeds")
		}
	}
	for i, e := range entries {
		m, _ := newFeeds[len(oldFeeds)+i].(map[string]any)
		if m["id"] != e.ID || m["url"] != e.URL {
			return errors.New("the new feeds would not read back")
		}
	}
	return nil
}

// reencode adds the entries to the node tree and encodes it again.
func (l *List) reencode(entries []Entry) ([]byte, error) {
	var doc yaml.Node
	if len(l.Data) > 0 {
		if err := yaml.Unmarshal(l.Data, &doc); err != nil {
			return nil, err
		}
	}
	if len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a mapping with a feeds key", l.Path)
	}
	feeds := mapValue(root, "feeds")
	if feeds == nil || feeds.Kind != yaml.SequenceNode {
		if feeds != nil && !(feeds.Kind == yaml.ScalarNode && (feeds.Tag == "!!null" || feeds.Value == "")) {
			return nil, fmt.Errorf("%s:%d: feeds is not a list", l.Path, feeds.Line)
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if feeds != nil {
			*feeds = *seq
		} else {
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "feeds"}, seq)
		}
		feeds = mapValue(root, "feeds")
	}
	feeds.Style &^= yaml.FlowStyle
	for _, e := range entries {
		feeds.Content = append(feeds.Content, entryNode(e))
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// entryNode is a feed entry as a mapping node.
func entryNode(e Entry) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range [][2]string{{"id", e.ID}, {"url", e.URL}, {"title", e.Title}, {"language", e.Language}} {
		if kv[1] != "" {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[1]})
		}
	}
	return m
}

// splice adds the entries as new lines of the file's text.
func (l *List) splice(entries []Entry, comment string) ([]byte, error) {
	data := l.Data
	feeds := (*yaml.Node)(nil)
	if l.root != nil {
		feeds = mapValue(l.root, "feeds")
	}
	switch {
	case feeds == nil:
		// No feeds key (or an empty file): a list at the end.
		var b bytes.Buffer
		b.Write(data)
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteByte('\n')
		}
		// At the indentation of the mapping's other keys.
		indent := 0
		if l.root != nil && len(l.root.Content) > 0 && l.root.Style&yaml.FlowStyle == 0 {
			indent = l.root.Content[0].Column - 1
		}
		b.WriteString(strings.Repeat(" ", indent) + "feeds:\n")
		writeEntries(&b, entries, comment, indent+2)
		return b.Bytes(), nil
	case feeds.Kind == yaml.SequenceNode && feeds.Style&yaml.FlowStyle == 0 && len(feeds.Content) > 0:
		last := feeds.Content[len(feeds.Content)-1]
		end := lastLine(last)
		indent := dashColumn(data, feeds.Content[0])
		lines := splitLines(data)
		if end > len(lines) {
			end = len(lines)
		}
		var b bytes.Buffer
		for _, ln := range lines[:end] {
			b.Write(ln)
		}
		if end > 0 && !bytes.HasSuffix(lines[end-1], []byte("\n")) {
			b.WriteByte('\n')
		}
		writeEntries(&b, entries, comment, indent)
		for _, ln := range lines[end:] {
			b.Write(ln)
		}
		return b.Bytes(), nil
	case feeds.Kind == yaml.SequenceNode || feeds.Kind == yaml.ScalarNode && (feeds.Tag == "!!null" || feeds.Value == ""):
		// feeds: [] or feeds: [{...}] or "feeds:" with nothing: the value
		// is rewritten as a block list; the lines of the key are replaced.
		key := mapKey(l.root, "feeds")
		start, end := key.Line, lastLine(feeds)
		lines := splitLines(data)
		var b bytes.Buffer
		for _, ln := range lines[:start-1] {
			b.Write(ln)
		}
		b.WriteString(strings.Repeat(" ", key.Column-1) + "feeds:")
		if c := strings.TrimSpace(key.LineComment + " " + feeds.LineComment); c != "" {
			b.WriteString(" " + c)
		}
		b.WriteByte('\n')
		for _, f := range feeds.Content {
			// Keep the entries of a flow list as they were, re-encoded.
			var m map[string]any
			if err := f.Decode(&m); err != nil {
				return nil, err
			}
			out, err := yaml.Marshal(m)
			if err != nil {
				return nil, err
			}
			writeItem(&b, out, key.Column-1+2)
		}
		writeEntries(&b, entries, comment, key.Column-1+2)
		if end < len(lines) {
			for _, ln := range lines[end:] {
				b.Write(ln)
			}
		}
		return b.Bytes(), nil
	default:
		return nil, fmt.Errorf("%s:%d: feeds is not a list", l.Path, feeds.Line)
	}
}

// writeEntries writes entries as block list items whose dash is at column
// indent (0-based).
func writeEntries(b *bytes.Buffer, entries []Entry, comment string, indent int) {
	if comment != "" && len(entries) > 0 {
		if prev := b.Bytes(); len(prev) > 1 && !bytes.HasSuffix(prev, []byte("\n\n")) && !bytes.HasSuffix(prev, []byte("feeds:\n")) {
			b.WriteByte('\n') // the block stands apart, as hand-written entries do
		}
		b.WriteString(strings.Repeat(" ", indent) + "# " + comment + "\n")
	}
	for _, e := range entries {
		out, err := yaml.Marshal(entryNode(e))
		if err != nil {
			continue // plain strings always encode
		}
		writeItem(b, out, indent)
	}
}

// writeItem writes an encoded mapping as a list item at indent.
func writeItem(b *bytes.Buffer, encoded []byte, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, ln := range strings.Split(strings.TrimRight(string(encoded), "\n"), "\n") {
		if i == 0 {
			b.WriteString(pad + "- " + ln + "\n")
		} else {
			b.WriteString(pad + "  " + ln + "\n")
		}
	}
}

// mapKey and mapValue find a key of a mapping node, and its value.
func mapKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// lastLine is the last line (1-based) a node's text reaches: the largest
// line of any node under it, and the lines of a block scalar.
func lastLine(n *yaml.Node) int {
	end := n.Line
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0) {
		end += strings.Count(strings.TrimRight(n.Value, "\n"), "\n") + 1
	}
	for _, c := range n.Content {
		end = max(end, lastLine(c))
	}
	return end
}

// dashColumn is the 0-based column of the dash of a block list item whose
// content starts at item.
func dashColumn(data []byte, item *yaml.Node) int {
	lines := splitLines(data)
	if item.Line-1 < len(lines) {
		ln := string(lines[item.Line-1])
		upto := min(item.Column-1, len(ln))
		if i := strings.LastIndex(ln[:upto], "-"); i >= 0 {
			return i
		}
	}
	return max(item.Column-3, 0)
}

// splitLines splits data after each newline.
func splitLines(data []byte) [][]byte {
	return bytes.SplitAfter(data, []byte("\n"))
}

// Save writes data to the list's file atomically: a temporary file in the
// same directory, synced, then renamed over the old one, so that a daemon
// that reloads it reads the old file or the new one, never half of one.
func (l *List) Save(data []byte) error {
	dir := filepath.Dir(l.Path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(l.Path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing left behind on failure
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(l.mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), l.Path)
}
