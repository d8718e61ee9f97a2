package assist

import "strings"

// DetectLang guesses whether text is English, French or Spanish from its
// function words and accents: "en", "fr", "es", or "" when the text is
// too short or too mixed to say.
func DetectLang(text string) string {
	var score [3]int // en, fr, es
	for _, w := range words(text) {
		if l, ok := langWords[w]; ok {
			for i := range score {
				if l&(1<<i) != 0 {
					score[i] += 2
				}
			}
		}
	}
	for _, r := range text {
		switch r {
		case 'é', 'è', 'ê', 'à', 'ç', 'û', 'ô', 'î', 'ù', 'œ':
			score[1]++
		case 'ñ', '¿', '¡', 'á', 'í', 'ó', 'ú':
			score[2]++
		}
	}
	best, second := -1, 0
	for i, s := range score {
		if best < 0 || s > score[best] {
			best = i
		}
	}
	for i, s := range score {
		if i != best && s > second {
			second = s
		}
	}
	// Unsure: too little evidence, or two languages nearly tied.
	if score[best] < 3 || score[best]-second < 2 {
		return ""
	}
	return [...]string{"en", "fr", "es"}[best]
}

// langWords are frequent function words, each with the languages it
// belongs to as bits (1 en, 2 fr, 4 es).
var langWords = func() map[string]int {
	m := map[string]int{}
	add := func(bit int, list string) {
		for _, w := range strings.Fields(list) {
			m[w] |= bit
		}
	}
	add(1, "the and is are was were you your my i it this that have has had not with for of to in on at be will would can could please thanks thank what where when why how do does did from our we me there hello hi order")
	add(2, "le la les et est sont vous votre vos mon ma mes je j ai pas avec pour de des du un une ce cette il elle nous bonjour merci que qui quand comment ou dans sur au aux commande mais tres")
	add(4, "el la los las y es son usted su sus mi mis yo no con para de del un una este esta que por hola gracias cuando como donde pero muy pedido me lo le ya")
	return m
}()

// langOf is the thread's language: the one it was given, else the one
// its customers write in, else English.
func langOf(t Thread) string {
	if t.Lang != "" {
		return t.Lang
	}
	var b strings.Builder
	for _, tu := range t.Turns {
		if tu.Author == Customer {
			b.WriteString(tu.Text)
			b.WriteByte('\n')
			if b.Len() > 4000 {
				break
			}
		}
	}
	if l := DetectLang(b.String()); l != "" {
		return l
	}
	return "en"
}
