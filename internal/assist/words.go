package assist

import "strings"

// stopwords are function words, folded, in en, fr and es: they say
// nothing about a topic, so topic comparisons skip them.
var stopwords = setOfFields(`
the and but for are was were you your yours our ours his her its they them their this that these those
have has had not with from into onto about over just also than then there here what which who whom whose
when where why how will would can could should shall may might must does did doing done been being very
too any all some more most much many such only own same both each few other another again still yet
hello thanks thank please dear regards best kind hey yes okay one get got now today
whats don didn doesn isn wasn aren can won couldn wouldn shouldn haven hasn going happening anything something
les des une est sont vous votre vos mon mes nous notre nos ton tes son ses leur leurs avec pour dans sur
par pas plus que qui quoi quand comment ou est cette ces mais donc car tres bien aussi encore deja
bonjour merci cordialement madame monsieur elle ils elles etre avoir fait faire suis sommes etes
los las una unos unas usted ustedes sus mis con para por del que quien cuando como donde pero muy
tambien todavia ahora hola gracias saludo esta este estos estas ser estar hace hola soy ella ellos
`)

// generic are words common in every support conversation: they match
// everything, so they never count as shared topic.
var generic = setOfFields(`
order orders ordered help problem issue question need want like know let reply message email
send sent new still normal possible idea news
commande commandes besoin probleme question message pedido pedidos necesito problema pregunta mensaje
`)

func setOfFields(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
