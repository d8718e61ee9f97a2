package assist

// maxEditRunes bounds the edit-distance computation: a reply longer than
// this is compared on its first maxEditRunes characters (the cost is the
// product of the two lengths).
const maxEditRunes = 4000

// EditDistance is how much a draft was changed before it was sent: the
// Levenshtein distance in characters, and that distance as a share of the
// longer text (0 = sent as drafted, 1 = rewritten whole).
func EditDistance(draft, sent string) (int, float64) {
	a, b := []rune(draft), []rune(sent)
	if len(a) > maxEditRunes {
		a = a[:maxEditRunes]
	}
	if len(b) > maxEditRunes {
		b = b[:maxEditRunes]
	}
	if len(a) == 0 && len(b) == 0 {
		return 0, 0
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	d := prev[len(b)]
	return d, float64(d) / float64(max(len(a), len(b)))
}
