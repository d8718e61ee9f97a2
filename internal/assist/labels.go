package assist

// labels are the words a summary and a draft are written with, per
// language.
type labels struct {
	wants, facts, done, open, next, promised   string
	keepPromise, answer, reply, wait           string
	kinds                                      map[string]string
	hi, closing, team                          string
	thanks, sorry, nothing, holding, escalated string
	askOrder, askPhoto, askConfirm             string
	followUp, proposal, refund, replacement    string
	resend, approve                            string
}

func labelsFor(lang string) labels {
	switch lang {
	case "fr":
		return labels{
			wants: "Demande", facts: "Faits", done: "Déjà fait", open: "Questions ouvertes", next: "Prochaine étape", promised: "(promis)",
			keepPromise: "Tenir la promesse", answer: "Répondre à", reply: "Répondre au client", wait: "Attendre la réponse du client",
			kinds: map[string]string{"order": "commande", "product": "produit", "amount": "montant", "tracking": "suivi", "date": "date", "email": "email", "phone": "téléphone"},
			hi:    "Bonjour {{contact.name}},", closing: "Bien cordialement,", team: "L'équipe support",
			thanks: "Merci pour votre message", sorry: "Je suis désolé pour ce désagrément",
			nothing:   "Aucun article ni réponse passée ne traite de cette demande : aucune réponse n'est proposée.",
			holding:   "Je transmets votre question à un collègue qui connaît bien ce sujet, et je vous réponds ici d'ici demain.",
			escalated: "Transmettre à un collègue",
			askOrder:  "Pourriez-vous m'indiquer votre numéro de commande ?", askPhoto: "Pourriez-vous m'envoyer une photo de l'article et du carton ?",
			askConfirm: "Pourriez-vous me confirmer que cela règle le problème ?",
			followUp:   "Si quelque chose ne va pas, répondez ici et je m'en occupe aujourd'hui.",
			proposal:   "J'ai préparé", refund: "un remboursement", replacement: "un remplacement gratuit", resend: "un nouvel envoi",
			approve: "dès qu'il est validé, je vous le confirme ici aujourd'hui.",
		}
	case "es":
		return labels{
			wants: "Solicitud", facts: "Datos", done: "Ya hecho", open: "Preguntas abiertas", next: "Siguiente paso", promised: "(prometido)",
			keepPromise: "Cumplir lo prometido", answer: "Responder a", reply: "Responder al cliente", wait: "Esperar la respuesta del cliente",
			kinds: map[string]string{"order": "pedido", "product": "producto", "amount": "importe", "tracking": "seguimiento", "date": "fecha", "email": "email", "phone": "teléfono"},
			hi:    "Hola {{contact.name}}:", closing: "Un saludo,", team: "El equipo de atención",
			thanks: "Gracias por su mensaje", sorry: "Siento mucho las molestias",
			nothing:   "Ningún artículo ni respuesta anterior trata esta consulta: no se propone ninguna respuesta.",
			holding:   "Paso su consulta a un compañero que conoce bien el tema y le respondo aquí antes de mañana.",
			escalated: "Pasar a un compañero",
			askOrder:  "¿Podría indicarme su número de pedido?", askPhoto: "¿Podría enviarme una foto del artículo y de la caja?",
			askConfirm: "¿Podría confirmarme si esto lo resuelve?",
			followUp:   "Si algo no funciona, responda aquí y me encargo hoy mismo.",
			proposal:   "He preparado", refund: "un reembolso", replacement: "un repuesto gratuito", resend: "un nuevo envío",
			approve: "en cuanto se apruebe, se lo confirmo aquí hoy mismo.",
		}
	}
	return labels{
		wants: "Wants", facts: "Facts", done: "Done so far", open: "Open questions", next: "Next step", promised: "(promised)",
		keepPromise: "Keep the promise", answer: "Answer", reply: "Reply to the customer", wait: "Wait for the customer's reply",
		kinds: map[string]string{"order": "order", "product": "product", "amount": "amount", "tracking": "tracking", "date": "date", "email": "email", "phone": "phone"},
		hi:    "Hi {{contact.name}},", closing: "Best regards,", team: "The support team",
		thanks: "Thanks for getting in touch", sorry: "I'm sorry for the trouble",
		nothing:   "No article or past reply covers this request, so no answer is proposed.",
		holding:   "I'm passing your question to a colleague who knows this area well, and I'll reply here by tomorrow.",
		escalated: "Hand over to a colleague",
		askOrder:  "Could you send me your order number?", askPhoto: "Could you send me a photo of the item and the box?",
		askConfirm: "Could you confirm whether this solves it?",
		followUp:   "If anything doesn't work, reply here and I'll take care of it today.",
		proposal:   "I've prepared", refund: "a refund", replacement: "a free replacement", resend: "a new shipment",
		approve: "as soon as it's approved, I'll confirm it here today.",
	}
}
