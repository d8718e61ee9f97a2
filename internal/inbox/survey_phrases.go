package inbox

import "strings"

// SurveyPhrases are the texts of a survey in one language: the questions
// on every channel and the public survey page. Choice labels stay within
// WhatsApp's 20 characters for a button or list button and 24 for a list
// row, Messenger's 20 for a quick reply and RBM's 25 for a suggestion.
type SurveyPhrases struct {
	Lang                  string
	CES, CSAT             string    // the questions
	CESLabels, CSATLabels [5]string // 1 … 5
	ReplyCES, ReplyCSAT   string    // how to answer by text (SMS, Zalo)
	Choose                string    // the list's button (WhatsApp)
	Links                 string    // before the email's links
	Thanks                string    // after the last score
	CommentLink           string    // "Anything else? %s" (the page's address)
	Title, Comment        string    // the page's title; the comment box's label
	Submit, Done          string    // the page's button; its closing line
	Expired               string    // the page's answer to a closed survey
}

var surveyBook = map[string]SurveyPhrases{
	"en": {CES: "How easy was it to get your issue solved?", CSAT: "And how satisfied are you with the help you got?",
		CESLabels:  [5]string{"Very easy", "Easy", "Neither", "Difficult", "Very difficult"},
		CSATLabels: [5]string{"Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied"},
		ReplyCES:   "Reply with a number from 1 (very easy) to 5 (very difficult).",
		ReplyCSAT:  "Reply with a number from 1 (very unsatisfied) to 5 (very satisfied).",
		Choose:     "Choose", Links: "Click your answer:", Thanks: "Thank you for your feedback!",
		CommentLink: "Anything else you'd like to tell us? %s", Title: "Your feedback",
		Comment: "Anything else you'd like to tell us? (optional)", Submit: "Send", Done: "Thank you! Your answers were recorded.",
		Expired: "This survey is closed."},
	"fr": {CES: "Dans quelle mesure a-t-il été facile de résoudre votre demande ?", CSAT: "Et êtes-vous satisfait de l'aide reçue ?",
		CESLabels:  [5]string{"Très facile", "Facile", "Ni l'un ni l'autre", "Difficile", "Très difficile"},
		CSATLabels: [5]string{"Très insatisfait", "Insatisfait", "Neutre", "Satisfait", "Très satisfait"},
		ReplyCES:   "Répondez par un chiffre de 1 (très facile) à 5 (très difficile).",
		ReplyCSAT:  "Répondez par un chiffre de 1 (très insatisfait) à 5 (très satisfait).",
		Choose:     "Choisir", Links: "Cliquez sur votre réponse :", Thanks: "Merci pour votre retour !",
		CommentLink: "Vous souhaitez ajouter quelque chose ? %s", Title: "Votre avis",
		Comment: "Vous souhaitez ajouter quelque chose ? (facultatif)", Submit: "Envoyer", Done: "Merci ! Vos réponses ont été enregistrées.",
		Expired: "Ce questionnaire est clos."},
	"es": {CES: "¿Qué tan fácil fue resolver tu consulta?", CSAT: "¿Y qué tan satisfecho estás con la ayuda recibida?",
		CESLabels:  [5]string{"Muy fácil", "Fácil", "Ni fácil ni difícil", "Difícil", "Muy difícil"},
		CSATLabels: [5]string{"Muy insatisfecho", "Insatisfecho", "Neutral", "Satisfecho", "Muy satisfecho"},
		ReplyCES:   "Responde con un número del 1 (muy fácil) al 5 (muy difícil).",
		ReplyCSAT:  "Responde con un número del 1 (muy insatisfecho) al 5 (muy satisfecho).",
		Choose:     "Elegir", Links: "Haz clic en tu respuesta:", Thanks: "¡Gracias por tu opinión!",
		CommentLink: "¿Quieres contarnos algo más? %s", Title: "Tu opinión",
		Comment: "¿Quieres contarnos algo más? (opcional)", Submit: "Enviar", Done: "¡Gracias! Hemos registrado tus respuestas.",
		Expired: "Esta encuesta está cerrada."},
	"de": {CES: "Wie einfach war es, Ihr Anliegen zu lösen?", CSAT: "Und wie zufrieden sind Sie mit der Hilfe?",
		CESLabels:  [5]string{"Sehr einfach", "Einfach", "Weder noch", "Schwierig", "Sehr schwierig"},
		CSATLabels: [5]string{"Sehr unzufrieden", "Unzufrieden", "Neutral", "Zufrieden", "Sehr zufrieden"},
		ReplyCES:   "Antworten Sie mit einer Zahl von 1 (sehr einfach) bis 5 (sehr schwierig).",
		ReplyCSAT:  "Antworten Sie mit einer Zahl von 1 (sehr unzufrieden) bis 5 (sehr zufrieden).",
		Choose:     "Auswählen", Links: "Klicken Sie auf Ihre Antwort:", Thanks: "Vielen Dank für Ihr Feedback!",
		CommentLink: "Möchten Sie uns noch etwas sagen? %s", Title: "Ihr Feedback",
		Comment: "Möchten Sie uns noch etwas sagen? (optional)", Submit: "Senden", Done: "Danke! Ihre Antworten wurden gespeichert.",
		Expired: "Diese Umfrage ist geschlossen."},
	"pt": {CES: "Quão fácil foi resolver a sua questão?", CSAT: "E quão satisfeito você está com a ajuda recebida?",
		CESLabels:  [5]string{"Muito fácil", "Fácil", "Nem fácil nem difícil", "Difícil", "Muito difícil"},
		CSATLabels: [5]string{"Muito insatisfeito", "Insatisfeito", "Neutro", "Satisfeito", "Muito satisfeito"},
		ReplyCES:   "Responda com um número de 1 (muito fácil) a 5 (muito difícil).",
		ReplyCSAT:  "Responda com um número de 1 (muito insatisfeito) a 5 (muito satisfeito).",
		Choose:     "Escolher", Links: "Clique na sua resposta:", Thanks: "Obrigado pela sua opinião!",
		CommentLink: "Quer nos contar mais alguma coisa? %s", Title: "Sua opinião",
		Comment: "Quer nos contar mais alguma coisa? (opcional)", Submit: "Enviar", Done: "Obrigado! Suas respostas foram registradas.",
		Expired: "Esta pesquisa está encerrada."},
	"vi": {CES: "Việc giải quyết vấn đề của bạn dễ dàng đến mức nào?", CSAT: "Bạn hài lòng với sự hỗ trợ đến mức nào?",
		CESLabels:  [5]string{"Rất dễ", "Dễ", "Bình thường", "Khó", "Rất khó"},
		CSATLabels: [5]string{"Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"},
		ReplyCES:   "Trả lời bằng một số từ 1 (rất dễ) đến 5 (rất khó).",
		ReplyCSAT:  "Trả lời bằng một số từ 1 (rất không hài lòng) đến 5 (rất hài lòng).",
		Choose:     "Chọn", Links: "Nhấn vào câu trả lời của bạn:", Thanks: "Cảm ơn bạn đã góp ý!",
		CommentLink: "Bạn muốn chia sẻ thêm điều gì không? %s", Title: "Ý kiến của bạn",
		Comment: "Bạn muốn chia sẻ thêm điều gì không? (không bắt buộc)", Submit: "Gửi", Done: "Cảm ơn bạn! Câu trả lời đã được ghi nhận.",
		Expired: "Khảo sát này đã đóng."},
}

// SurveyPhrasesFor returns a survey's texts in a language tag ("fr-CA"
// reads French), or in English.
func SurveyPhrasesFor(tag string) SurveyPhrases {
	primary := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
	p, ok := surveyBook[primary]
	if !ok {
		primary, p = "en", surveyBook["en"]
	}
	p.Lang = primary
	return p
}

// Question is the text of a question.
func (p SurveyPhrases) Question(q string) string {
	if q == "csat" {
		return p.CSAT
	}
	return p.CES
}

// Labels are a question's choice labels, 1 … 5.
func (p SurveyPhrases) Labels(q string) [5]string {
	if q == "csat" {
		return p.CSATLabels
	}
	return p.CESLabels
}
