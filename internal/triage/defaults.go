package triage

import "github.com/parleyhq/parley/internal/parley"

// Defaults returns the rules Parley ships with, in English, Vietnamese,
// French, Spanish, German and Portuguese: emergencies (a failed payment, a
// double charge, fraud, a hacked account, a security problem) make a
// conversation urgent; a price or stock question, a wish to order, or an
// amount of at least 200 USD, EUR or GBP or 5,000,000 VND make it high.
// Each call returns a fresh copy that the caller may change.
//
// Phrases are chosen to fire on what customers in trouble or about to buy
// write, not on everyday support chatter: "security" alone or "order"
// alone would flag half of all conversations, so they appear only in
// phrases ("security breach", "order now"). Verbs are in forms that ask or
// report ("want to buy", "kaufen", "comprar") rather than past tenses that
// usually start a complaint about an order already made. Phrases are
// written with accents for readability; matching ignores them, so phrases
// that collide with a common word once accents are gone are left out (the
// Vietnamese "giá" alone, price, folds to "gia", as in "gia đình" and
// "tham gia").
func Defaults() Rules {
	return Rules{
		{
			Name: "Payment failed", Priority: parley.PriorityUrgent, Enabled: true,
			Phrases: []string{
				// English
				"payment failed", "payment declined", "payment was declined", "payment did not go through",
				"payment didn't go through", "payment didnt go through", "card declined", "card was declined",
				"card got declined", "transaction failed", "transaction declined", "payment keeps failing",
				// Vietnamese
				"thanh toán thất bại", "thanh toán không thành công", "thanh toán bị lỗi", "lỗi thanh toán",
				"không thanh toán được", "thẻ bị từ chối",
				// French
				"paiement refusé", "paiement échoué", "échec du paiement", "échec de paiement", "carte refusée",
				"paiement n'est pas passé", "paiement a été refusé", "carte a été refusée", "carte bancaire refusée",
				// Spanish
				"pago rechazado", "pago fue rechazado", "pago fallido", "el pago falló", "tarjeta rechazada", "tarjeta fue rechazada", "error en el pago",
				"tarjeta de crédito rechazada", "pago no se pudo procesar", "no se pudo procesar el pago",
				// German
				"zahlung fehlgeschlagen", "zahlung ist fehlgeschlagen", "zahlung abgelehnt",
				"zahlung wurde abgelehnt", "karte abgelehnt", "karte wurde abgelehnt",
				// Portuguese
				"pagamento recusado", "pagamento foi recusado", "pagamento falhou", "pagamento não foi aprovado", "cartão recusado", "cartão foi recusado",
				"erro no pagamento",
			},
		},
		{
			Name: "Charged twice", Priority: parley.PriorityUrgent, Enabled: true,
			Phrases: []string{
				"charged twice", "charged me twice", "charged my card twice", "charged two times", "charged 2 times", "double charged",
				"double charge", "duplicate charge", "billed twice", "paid twice",
				"trừ tiền hai lần", "trừ tiền 2 lần", "bị trừ hai lần", "bị trừ 2 lần", "thanh toán hai lần",
				"thanh toán 2 lần",
				"débité deux fois", "prélevé deux fois", "payé deux fois", "double prélèvement", "double débit",
				"cobrado dos veces", "cobraron dos veces", "me cobraron doble", "doble cargo", "doble cobro",
				"cobro duplicado", "pagué dos veces",
				"doppelt abgebucht", "zweimal abgebucht", "doppelt belastet", "zweimal belastet",
				"doppelt bezahlt", "zweimal bezahlt",
				"cobrado duas vezes", "cobraram duas vezes", "cobrança duplicada", "cobrança em dobro",
				"paguei duas vezes",
			},
		},
		{
			Name: "Fraud", Priority: parley.PriorityUrgent, Enabled: true,
			Phrases: []string{
				"fraud", "fraudulent", "defrauded", "scam", "scammed", "scammer", "stolen card", "card was stolen",
				"card stolen", "unauthorized charge", "unauthorised charge", "unauthorized transaction",
				"unauthorised transaction", "unauthorized payment", "did not authorize", "didn't authorize",
				"chargeback",
				"lừa đảo", "gian lận", "thẻ bị đánh cắp",
				"fraude", "frauduleux", "arnaque", "escroquerie", "carte volée", "paiement non autorisé",
				"prélèvement non autorisé",
				"estafa", "tarjeta robada", "cargo no autorizado", "compra no autorizada",
				"betrug", "betrüger", "gestohlene karte", "karte gestohlen", "unberechtigte abbuchung",
				"caí num golpe", "caí em um golpe", "sofri um golpe", "é golpe", "cartão roubado", "compra não autorizada", "cobrança não autorizada",
			},
		},
		{
			Name: "Account hacked", Priority: parley.PriorityUrgent, Enabled: true,
			Phrases: []string{
				"hacked", "hacker", "hackers", "account compromised", "account was compromised",
				"account has been compromised", "someone logged into my account", "someone logged in to my account",
				"someone accessed my account", "someone is using my account", "someone changed my password",
				"account takeover",
				"bị hack", "hack tài khoản", "tài khoản bị xâm nhập", "bị chiếm tài khoản",
				"compte piraté", "été piraté", "piraté mon compte", "piratage", "compte compromis",
				"quelqu'un s'est connecté à mon compte", "quelqu'un s'est connecté sur mon compte",
				"quelqu'un a accédé à mon compte", "quelqu'un utilise mon compte",
				"hackeado", "hackeada", "me hackearon", "cuenta comprometida", "alguien entró a mi cuenta",
				"alguien entró en mi cuenta", "alguien accedió a mi cuenta", "alguien está usando mi cuenta",
				"gehackt", "konto kompromittiert", "fremder zugriff", "jemand hat sich in mein konto eingeloggt",
				"hackearam", "conta invadida", "alguém entrou na minha conta", "conta foi invadida", "invadiram minha conta", "conta comprometida",
			},
		},
		{
			Name: "Security issue", Priority: parley.PriorityUrgent, Enabled: true,
			Phrases: []string{
				"security breach", "security issue", "security problem", "security incident",
				"security vulnerability", "data breach", "data leak", "leaked my data", "phishing",
				"unauthorized access", "unauthorised access", "suspicious login", "suspicious activity",
				"lộ thông tin", "rò rỉ dữ liệu", "rò rỉ thông tin", "lỗ hổng bảo mật", "truy cập trái phép",
				"faille de sécurité", "problème de sécurité", "fuite de données", "hameçonnage",
				"accès non autorisé", "connexion suspecte", "activité suspecte",
				"brecha de seguridad", "problema de seguridad", "fuga de datos", "acceso no autorizado",
				"actividad sospechosa",
				"sicherheitslücke", "sicherheitsproblem", "datenleck", "datenpanne", "unbefugter zugriff",
				"verdächtige aktivität", "verdächtige anmeldung",
				"falha de segurança", "problema de segurança", "vazamento de dados", "acesso não autorizado",
				"atividade suspeita", "login suspeito",
			},
		},
		{
			Name: "Price question", Priority: parley.PriorityHigh, Enabled: true,
			Phrases: []string{
				"price", "prices", "pricing", "how much is", "how much are", "how much does", "how much do",
				"how much for", "get a quote", "request a quote",
				"giá bao nhiêu", "bao nhiêu tiền", "báo giá", "giá sỉ",
				"prix", "combien coûte", "combien coûtent", "combien ça coûte", "c'est combien", "tarif", "tarifs", "devis",
				"precio", "precios", "cuánto cuesta", "cuánto vale", "cuánto sale", "cotización",
				"preis", "preise", "was kostet", "wie viel kostet", "wieviel kostet", "angebot",
				"preço", "preços", "quanto custa", "qual o valor", "qual é o valor", "orçamento",
			},
		},
		{
			Name: "Stock question", Priority: parley.PriorityHigh, Enabled: true,
			Phrases: []string{
				"in stock", "out of stock", "restock", "still available", "is it available", "are they available",
				"còn hàng", "hết hàng",
				"en stock", "rupture de stock", "encore disponible",
				"hay stock", "tienen stock", "sin stock", "disponibilidad",
				"auf lager", "vorrätig", "lieferbar", "wieder verfügbar",
				"em estoque", "tem estoque", "sem estoque", "tem disponível",
			},
		},
		{
			Name: "Wants to order", Priority: parley.PriorityHigh, Enabled: true,
			Phrases: []string{
				"order now", "place an order", "place order", "want to order", "like to order", "want to buy",
				"like to buy", "wanna buy", "ready to buy", "where can i buy", "how can i buy", "how do i order",
				"how can i order", "buy now", "bulk order", "wholesale",
				"muốn mua", "muốn đặt", "đặt mua", "cách đặt hàng", "chốt đơn", "lên đơn", "mua ngay", "mua sỉ",
				"commander", "passer commande", "passer une commande", "acheter",
				"comprar", "hacer un pedido", "hacer pedido", "quiero pedir",
				"bestellen", "kaufen", "bestellung aufgeben",
				"fazer um pedido", "fazer pedido", "quero pedir", "encomendar",
			},
		},
		{
			Name: "Large order", Priority: parley.PriorityHigh, Enabled: true,
			MinAmount: 200, Currencies: []string{"USD", "EUR", "GBP"},
		},
		{
			Name: "Large order (VND)", Priority: parley.PriorityHigh, Enabled: true,
			MinAmount: 5_000_000, Currencies: []string{"VND"},
		},
	}
}
