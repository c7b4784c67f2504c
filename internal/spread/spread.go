// Package spread orders work so that the pieces that share a key (the
// feeds of one host) come as far apart as possible, for a queue whose
// workers would otherwise wait for a host's politeness gap.
package spread

// ByKey returns items in turns: the first item of each key, in the order
// the keys first appear, then the second of each, and so on. Items of one
// key keep their order. With k keys, two items of one key are at least k-1
// apart as long as every key has items left.
func ByKey[T any](items []T, key func(T) string) []T {
	index := map[string]int{}
	var groups [][]T
	for _, it := range items {
		k := key(it)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], it)
	}
	out := make([]T, 0, len(items))
	for turn := 0; len(out) < len(items); turn++ {
		for _, g := range groups {
			if turn < len(g) {
				out = append(out, g[turn])
			}
		}
	}
	return out
}
