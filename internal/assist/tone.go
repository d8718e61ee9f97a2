package assist

// The phrases the checks look for, in en, fr and es, written naturally
// and normalised once (folded, apostrophes as spaces).
var (
	// Curt phrasing: impatience, sending the customer away, flat refusals.
	curtPhrases = phrases(
		"as i said", "as i already said", "as i told you", "like i said", "like i told you", "as mentioned", "as stated",
		"read the faq", "see the faq", "check the faq", "it s in the manual", "it s on the website", "explained on our website",
		"not possible", "nothing we can do", "that s our policy", "that s the policy", "our policy", "calm down", "be patient", "please wait",
		"it ships when it ships", "ask your bank", "your responsibility", "it s required", "the carrier says",
		"comme je l ai dit", "comme deja dit", "comme indique", "lisez la faq", "consultez la faq", "pas possible", "c est la politique",
		"on ne peut rien faire", "calmez vous", "soyez patient", "voyez avec votre banque", "tout est explique", "attendez",
		"como ya dije", "como ya le dije", "como le dije", "lea las preguntas frecuentes", "lea la faq", "no es posible", "no se puede",
		"no podemos hacer nada", "es nuestra politica", "calmese", "tenga paciencia", "hable con su banco", "esta todo explicado", "hay que esperar",
	)
	// Blaming the customer.
	blamePhrases = phrases(
		"you should have", "you shouldn t have", "you failed to", "you didn t read", "you did not read", "your fault", "you forgot to",
		"you were supposed to", "you need to read", "you should ve",
		"vous auriez du", "vous n avez pas lu", "de votre faute", "vous avez oublie de", "vous etiez cense",
		"usted debio", "debio revisar", "deberia haber", "debio haber", "no leyo", "es su culpa", "usted olvido",
	)
	// A bare promise to look into it.
	checkPromises = phrases(
		"i ll check", "i will check", "let me check", "i ll look into", "i will look into", "let me look into", "i m looking into",
		"i ll find out", "i ll ask", "i m checking", "i am checking", "i ll let you know", "let me see", "i will check this",
		"i ll look", "i m still waiting",
		"je vais verifier", "je regarde", "je me renseigne", "je vais voir", "je relance", "je vais relancer", "je verifie",
		"lo reviso", "voy a revisar", "lo consulto", "lo miro", "voy a mirar", "lo compruebo", "le aviso",
	)
	// Who does something next.
	nextWho = phrases(
		"i ll", "i will", "we ll", "we will", "you ll", "you will", "i ve", "i have", "we ve", "it ll", "it will", "reply here", "let me know", "tell me",
		"it should arrive", "takes", "we", "shows", "arrives", "you receive", "you get", "you can", "it went through", "will show", "will reach", "leaves", "ships",
		"je vais", "je vous", "je reste", "je suis disponible", "nous allons", "vous recevrez", "je m en occupe", "j ai", "nous vous", "nous", "vous recevez", "repondez", "dites moi", "part", "prend",
		"voy a", "vamos a", "sigo pendiente", "le envio", "le mando", "recibira", "me encargo", "he ", "le reembolsaremos", "le reembolsamos", "le enviamos", "enviamos", "reembolsamos", "respondame", "digame", "le respondo", "tarda", "sale", "le responder",
	)
	// When.
	nextWhen = phrases(
		"today", "tonight", "tomorrow", "this afternoon", "this evening", "this morning", "within", "by monday", "by tuesday", "by wednesday",
		"by thursday", "by friday", "the day it", "the day we", "on monday", "on tuesday", "by the end of", "same day", "right away", "straight away", "in a few minutes",
		"within the hour", "working days", "business days", "hours", "minutes", "as soon as", "this week", "next week", "by tomorrow",
		"aujourd hui", "ce soir", "demain", "d ici", "sous", "jour meme", "dans l heure", "le jour ou", "jours ouvres", "des reception", "des son", "lundi", "jeudi", "vendredi", "des que",
		"hoy", "esta tarde", "manana", "antes del", "dentro de", "mismo dia", "proxima hora", "dias laborables", "en cuanto", "lunes", "jueves", "viernes",
	)
	// Replies that close a solved case need no next step.
	closingCase = phrases(
		"glad it s sorted", "glad it works", "glad that helped", "happy to hear", "great to hear", "have a great day", "anything else",
		"ravi que", "content que", "bonne journee", "me alegra", "que tenga un buen dia",
	)
	// An upset customer.
	upsetWords = phrases(
		"angry", "furious", "frustrated", "frustrating", "unacceptable", "ridiculous", "disappointed", "terrible", "worst", "annoyed", "annoying",
		"fed up", "third time", "still waiting", "scam", "disgusted", "nobody answers", "no reply", "heard nothing", "urgently",
		"inadmissible", "inacceptable", "furieux", "furieuse", "decu", "decue", "enerve", "ras le bol", "honteux", "scandaleux", "toujours pas",
		"n importe quoi", "personne ne me repond",
		"inaceptable", "furioso", "furiosa", "harto", "harta", "decepcionado", "decepcionada", "verguenza", "indignante", "todavia no", "pesimo", "estafa", "molesto", "molesta", "nadie me contesta", "no se nada",
	)
	// Acknowledging how the customer feels, or apologising.
	ackPhrases = phrases(
		"sorry", "apologise", "apologize", "apologies", "my apologies", "i understand", "i completely understand", "understand how", "frustrating", "i hear you", "you re right",
		"thank you for your patience", "thanks for your patience", "that s not the service", "not the experience", "annoying",
		"desole", "desolee", "excuses", "mes excuses", "excusez", "je comprends", "navre", "pardon", "vous avez raison", "penible", "merci pour votre patience",
		"lamento", "disculpas", "disculpe", "perdone", "lo siento", "siento", "entiendo", "comprendo", "perdon", "tiene toda la razon", "gracias por su paciencia",
	)
)
