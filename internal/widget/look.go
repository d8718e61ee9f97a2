package widget

import (
	"fmt"
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
	t.Lang = lang
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
