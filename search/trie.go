package search

// trie holds the vocabulary, so the words within an edit distance of a
// query word are found by one walk that gives up on a branch as soon as
// every word below it is too far off (a Levenshtein automaton run over a
// prefix tree), rather than by comparing the query word with every word.
// Words can be added at any time; nothing is rebuilt.
type trie struct {
	nodes []trieNode // nodes[0] is the root
}

type trieNode struct {
	r           rune
	first, next int32 // first child, next sibling; 0 for none
	word        int32 // word id + 1 of the word ending here; 0 for none
}

func newTrie() trie { return trie{nodes: []trieNode{{}}} }

func (t *trie) insert(s string, id uint32) {
	n := int32(0)
	for _, r := range s {
		c := t.nodes[n].first
		for c != 0 && t.nodes[c].r != r {
			c = t.nodes[c].next
		}
		if c == 0 {
			c = int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{r: r, next: t.nodes[n].first})
			t.nodes[n].first = c
		}
		n = c
	}
	t.nodes[n].word = int32(id) + 1
}

// similar calls fn with the id and distance of every word whose
// Levenshtein distance (in runes) from w is at most maxDist, w itself
// included.
func (t *trie) similar(w string, maxDist int, fn func(id uint32, dist int)) {
	q := []rune(w)
	// rows[d] is the row of edit distances for the prefix of depth d.
	rows := make([][]int, 1, 16)
	rows[0] = make([]int, len(q)+1)
	for i := range rows[0] {
		rows[0][i] = i
	}
	var walk func(n int32, depth int)
	walk = func(n int32, depth int) {
		if len(rows) <= depth {
			rows = append(rows, make([]int, len(q)+1))
		}
		prev, cur := rows[depth-1], rows[depth]
		r := t.nodes[n].r
		cur[0] = prev[0] + 1
		best := cur[0]
		for i := 1; i <= len(q); i++ {
			cost := 1
			if q[i-1] == r {
				cost = 0
			}
			cur[i] = min(prev[i]+1, cur[i-1]+1, prev[i-1]+cost)
			best = min(best, cur[i])
		}
		if id := t.nodes[n].word; id != 0 && cur[len(q)] <= maxDist {
			fn(uint32(id-1), cur[len(q)])
		}
		if best > maxDist {
			return // every longer word is further off still
		}
		for c := t.nodes[n].first; c != 0; c = t.nodes[c].next {
			walk(c, depth+1)
		}
	}
	for c := t.nodes[0].first; c != 0; c = t.nodes[c].next {
		walk(c, 1)
	}
}
