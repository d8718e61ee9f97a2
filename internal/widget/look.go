package widget

import (
	"fmt"
	"maps"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// The chat's own words, in the languages it speaks (parley.WidgetLanguages):
// the inbox's chosen language, else the visitor's browser's when the chat
// speaks it, else English. The team's messages are the team's own.
type chatTexts struct {
	Lang, Placeholder, Attach, Send, Close, EmailAsk, Save, Title string
	// Hello opens the default greeting; the reply-time promise follows.
	Hello string
	// Record and Shot label the capture buttons.
	Record, Shot string
	// Words are what chat.js says by itself, by key (chatWords).
	Words map[string]string
}

// chatWords are chat.js's own sentences, by language: its status line,
// the typing and seen marks, and its most common notes.
var chatWords = map[string]map[string]string{
	"en": {"online": "We are online", "soon": "We will reply as soon as we can", "typing": "Typing…", "seen": "Seen",
		"expired": "This link has expired, but you can still write to us below.", "notSent": "Your message could not be sent. Please try again.",
		"uploading": "Uploading", "dropped": "The connection dropped; going on with", "emailThanks": "Thanks! If you leave, we will email you at"},
	"fr": {"online": "Nous sommes en ligne", "soon": "Nous vous répondrons dès que possible", "typing": "En train d'écrire…", "seen": "Vu",
		"expired": "Ce lien a expiré, mais vous pouvez toujours nous écrire ci-dessous.", "notSent": "Votre message n'a pas pu être envoyé. Veuillez réessayer.",
		"uploading": "Envoi de", "dropped": "La connexion a été coupée ; reprise de", "emailThanks": "Merci ! Si vous partez, nous vous écrirons à"},
	"es": {"online": "Estamos en línea", "soon": "Te responderemos lo antes posible", "typing": "Escribiendo…", "seen": "Visto",
		"expired": "Este enlace ha caducado, pero aún puedes escribirnos abajo.", "notSent": "No se pudo enviar tu mensaje. Inténtalo de nuevo.",
		"uploading": "Subiendo", "dropped": "Se cortó la conexión; seguimos con", "emailThanks": "¡Gracias! Si te vas, te escribiremos a"},
	"de": {"online": "Wir sind online", "soon": "Wir antworten so bald wie möglich", "typing": "Schreibt…", "seen": "Gesehen",
		"expired": "Dieser Link ist abgelaufen, aber Sie können uns unten weiterhin schreiben.", "notSent": "Ihre Nachricht konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
		"uploading": "Wird hochgeladen:", "dropped": "Die Verbindung ist abgebrochen; es geht weiter mit", "emailThanks": "Danke! Wenn Sie gehen, schreiben wir Ihnen an"},
	"pt": {"online": "Estamos online", "soon": "Responderemos assim que possível", "typing": "Digitando…", "seen": "Visto",
		"expired": "Este link expirou, mas você ainda pode nos escrever abaixo.", "notSent": "Não foi possível enviar sua mensagem. Tente novamente.",
		"uploading": "Enviando", "dropped": "A conexão caiu; continuando com", "emailThanks": "Obrigado! Se você sair, escreveremos para"},
	"vi": {"online": "Chúng tôi đang trực tuyến", "soon": "Chúng tôi sẽ trả lời sớm nhất có thể", "typing": "Đang nhập…", "seen": "Đã xem",
		"expired": "Liên kết này đã hết hạn, nhưng bạn vẫn có thể nhắn cho chúng tôi bên dưới.", "notSent": "Không gửi được tin nhắn. Vui lòng thử lại.",
		"uploading": "Đang tải lên", "dropped": "Mất kết nối; đang tiếp tục tải", "emailThanks": "Cảm ơn! Nếu bạn rời đi, chúng tôi sẽ gửi email tới"},
}

var captureLabels = map[string][2]string{
	"en": {"Record your screen", "Take a screenshot and mark it"},
	"fr": {"Enregistrer votre écran", "Faire une capture d'écran et l'annoter"},
	"es": {"Grabar tu pantalla", "Hacer una captura y marcarla"},
	"de": {"Bildschirm aufnehmen", "Bildschirmfoto machen und markieren"},
	"pt": {"Gravar sua tela", "Fazer uma captura e marcá-la"},
	"vi": {"Quay màn hình", "Chụp màn hình và đánh dấu"},
}

var texts = map[string]chatTexts{
	"en": {Placeholder: "Write a message…", Attach: "Attach a file", Send: "Send", Close: "Close chat", Save: "Save",
		EmailAsk: "Get notified by email if you leave before we reply", Title: "Chat with",
		Hello: "Hi! Ask us anything here. You can close this page: the answer will wait for you in this chat."},
	"fr": {Placeholder: "Écrivez un message…", Attach: "Joindre un fichier", Send: "Envoyer", Close: "Fermer la discussion", Save: "Enregistrer",
		EmailAsk: "Recevez un e-mail si vous partez avant notre réponse", Title: "Discuter avec",
		Hello: "Bonjour ! Posez-nous vos questions ici. Vous pouvez fermer cette page : la réponse vous attendra dans cette discussion."},
	"es": {Placeholder: "Escribe un mensaje…", Attach: "Adjuntar un archivo", Send: "Enviar", Close: "Cerrar el chat", Save: "Guardar",
		EmailAsk: "Recibe un aviso por correo si te vas antes de nuestra respuesta", Title: "Chatea con",
		Hello: "¡Hola! Pregúntanos lo que quieras aquí. Puedes cerrar esta página: la respuesta te esperará en este chat."},
	"de": {Placeholder: "Nachricht schreiben…", Attach: "Datei anhängen", Send: "Senden", Close: "Chat schließen", Save: "Speichern",
		EmailAsk: "Per E-Mail benachrichtigt werden, falls Sie vor unserer Antwort gehen", Title: "Chat mit",
		Hello: "Hallo! Fragen Sie uns hier alles. Sie können die Seite schließen: Die Antwort wartet in diesem Chat auf Sie."},
	"pt": {Placeholder: "Escreva uma mensagem…", Attach: "Anexar um arquivo", Send: "Enviar", Close: "Fechar o chat", Save: "Salvar",
		EmailAsk: "Receba um aviso por e-mail se sair antes da nossa resposta", Title: "Converse com",
		Hello: "Olá! Pergunte-nos o que quiser aqui. Pode fechar esta página: a resposta vai esperar por você neste chat."},
	"vi": {Placeholder: "Nhập tin nhắn…", Attach: "Đính kèm tệp", Send: "Gửi", Close: "Đóng trò chuyện", Save: "Lưu",
		EmailAsk: "Nhận thông báo qua email nếu bạn rời đi trước khi chúng tôi trả lời", Title: "Trò chuyện với",
		Hello: "Xin chào! Hãy hỏi chúng tôi bất cứ điều gì tại đây. Bạn có thể đóng trang này: câu trả lời sẽ chờ bạn trong cuộc trò chuyện này."},
}

// chatLanguage picks the chat's language: the inbox's, else the
// visitor's (a tag such as "pt-BR") when the chat speaks it, else English.
func chatLanguage(look parley.WidgetLook, visitor string) string {
	if look.Language != "" {
		return look.Language
	}
	base, _, _ := strings.Cut(strings.ToLower(visitor), "-")
	if _, ok := texts[base]; ok {
		return base
	}
	return "en"
}

// textsFor are the chat's words in lang.
func textsFor(lang string) chatTexts {
	t, ok := texts[lang]
	if !ok {
		lang, t = "en", texts["en"]
	}
	t.Lang, t.Words = lang, make(map[string]string, len(chatWords[lang])+len(captureWords[lang]))
	maps.Copy(t.Words, chatWords[lang])
	maps.Copy(t.Words, captureWords[lang])
	t.Record, t.Shot = captureLabels[lang][0], captureLabels[lang][1]
	return t
}

// greeting is the inbox's own, or one that says what to expect: ask
// here, leave if you like, and when the team will answer.
func greeting(in parley.Inbox, t chatTexts, replyTime string) string {
	if in.Greeting != "" {
		return in.Greeting
	}
	if replyTime == "" {
		return t.Hello
	}
	return fmt.Sprintf("%s %s", t.Hello, replyTime)
}
