package search

import (
	"maps"
	"strings"
	"testing"
	"unicode/utf8"
)

// levenshtein is the plain dynamic-programming edit distance in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// FuzzSimilar checks the trie's walk against comparing the query word with
// every word of the vocabulary.
func FuzzSimilar(f *testing.F) {
	f.Add("metallica metal metallic meta concert concerts jazz jam", "metalica", 2)
	f.Add("a ab abc b ba", "ab", 1)
	f.Add("über uber ubér", "über", 1)
	f.Add("", "x", 0)
	f.Fuzz(func(t *testing.T, vocab, w string, maxDist int) {
		maxDist = ((maxDist % 3) + 3) % 3
		// The index's words come from the analyzer, always valid UTF-8.
		if len(vocab) > 2000 || len(w) > 64 || !utf8.ValidString(vocab) || !utf8.ValidString(w) {
			return
		}
		tr := newTrie()
		words := map[string]uint32{}
		for _, s := range strings.Fields(vocab) {
			if _, ok := words[s]; !ok {
				words[s] = uint32(len(words))
				tr.insert(s, words[s])
			}
		}
		got := map[uint32]int{}
		tr.similar(w, maxDist, func(id uint32, dist int) {
			if _, dup := got[id]; dup {
				t.Errorf("word %d reported twice", id)
			}
			got[id] = dist
		})
		want := map[uint32]int{}
		for s, id := range words {
			if d := levenshtein(s, w); d <= maxDist {
				want[id] = d
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("similar(%q, %d) over %q = %v, want %v", w, maxDist, vocab, got, want)
		}
	})
}
