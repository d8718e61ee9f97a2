package inbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// phrases say when a reply comes, in one language. Parley ships them, and
// default acknowledgements, for the languages of its default triage
// rules; an inbox can add acknowledgement texts for any language, whose
// {{reply_by}} then reads in English unless it is one of these.
type phrases struct {
	minutes, hours  string // "within %d minutes", "within %d hours"
	hour            string // "within an hour"
	today, tomorrow string // "today by %s", "by %s tomorrow" (%s: 15:04)
	weekday         string // "by %[1]s %[2]s": weekday, then clock
	later           string // "by %[1]s %[2]s %[3]s": weekday, date, clock
	date            string // Go layout of the date in later
	days            [7]string
	usually, away   string // the widget's sentence: "We usually reply %s."
	ack, ackAfter   string // default acknowledgements
	humanPlace      string // " (You're number %d in line.)"
	back            string // the reply time when nobody is online and no hours say when someone will be
}

var phrasebook = map[string]phrases{
	"en": {back: "as soon as we're back", minutes: "within %d minutes", hours: "within %d hours", hour: "within an hour",
		today: "today by %s", tomorrow: "by %s tomorrow", weekday: "by %[1]s %[2]s", later: "by %[1]s %[2]s %[3]s", date: "2 January",
		days:    [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		usually: "We usually reply %s.", away: "We're away right now. We'll reply %s.",
		ack: parley.DefaultAck, ackAfter: parley.DefaultAckAfterHours, humanPlace: " (You're number %d in line.)"},
	"fr": {back: "dès notre retour", minutes: "d'ici %d minutes", hours: "d'ici %d heures", hour: "d'ici une heure",
		today: "aujourd'hui avant %s", tomorrow: "demain avant %s", weekday: "%[1]s avant %[2]s", later: "le %[1]s %[2]s avant %[3]s", date: "02/01",
		days:    [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		usually: "Nous répondons généralement %s.", away: "Nous sommes absents pour le moment. Nous répondrons %s.",
		ack:        "Nous avons bien reçu votre message. Nous vous répondrons {{reply_by}} — n'hésitez pas à ajouter des détails d'ici là, pour que nous puissions tout traiter en une fois.",
		ackAfter:   "Nous avons bien reçu votre message. Notre équipe est absente pour le moment ; nous vous répondrons {{reply_by}}. N'hésitez pas à ajouter des détails d'ici là.",
		humanPlace: " (Vous êtes n° %d dans la file.)"},
	"es": {back: "en cuanto volvamos", minutes: "en %d minutos", hours: "en %d horas", hour: "en una hora",
		today: "hoy antes de las %s", tomorrow: "mañana antes de las %s", weekday: "el %[1]s antes de las %[2]s", later: "el %[1]s %[2]s antes de las %[3]s", date: "02/01",
		days:    [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		usually: "Solemos responder %s.", away: "Ahora mismo no estamos. Responderemos %s.",
		ack:        "Hemos recibido tu mensaje. Te responderemos {{reply_by}}; si quieres, añade ahora cualquier detalle para que podamos responder a todo de una vez.",
		ackAfter:   "Hemos recibido tu mensaje. Nuestro equipo no está ahora mismo; te responderemos {{reply_by}}. Si quieres, añade cualquier detalle mientras tanto.",
		humanPlace: " (Eres el número %d en la cola.)"},
	"de": {back: "sobald wir wieder da sind", minutes: "innerhalb von %d Minuten", hours: "innerhalb von %d Stunden", hour: "innerhalb einer Stunde",
		today: "heute bis %s Uhr", tomorrow: "morgen bis %s Uhr", weekday: "am %[1]s bis %[2]s Uhr", later: "am %[1]s, %[2]s, bis %[3]s Uhr", date: "02.01.",
		days:    [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		usually: "Wir antworten in der Regel %s.", away: "Wir sind gerade nicht da. Wir antworten %s.",
		ack:        "Wir haben Ihre Nachricht erhalten und antworten {{reply_by}}. Ergänzen Sie gern schon jetzt weitere Details, damit wir alles auf einmal beantworten können.",
		ackAfter:   "Wir haben Ihre Nachricht erhalten. Unser Team ist gerade nicht da; wir antworten {{reply_by}}. Ergänzen Sie gern schon jetzt weitere Details.",
		humanPlace: " (Sie sind Nummer %d in der Warteschlange.)"},
	"pt": {back: "assim que voltarmos", minutes: "em até %d minutos", hours: "em até %d horas", hour: "em até uma hora",
		today: "hoje até às %s", tomorrow: "amanhã até às %s", weekday: "na %[1]s até às %[2]s", later: "em %[1]s, %[2]s, até às %[3]s", date: "02/01",
		days:    [7]string{"domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"},
		usually: "Normalmente respondemos %s.", away: "Estamos ausentes no momento. Responderemos %s.",
		ack:        "Recebemos sua mensagem. Vamos responder {{reply_by}} — se quiser, adicione agora qualquer detalhe para respondermos tudo de uma vez.",
		ackAfter:   "Recebemos sua mensagem. Nossa equipe está ausente no momento; vamos responder {{reply_by}}. Se quiser, adicione qualquer detalhe enquanto isso.",
		humanPlace: " (Você é o número %d na fila.)"},
	"vi": {back: "ngay khi chúng tôi quay lại", minutes: "trong vòng %d phút", hours: "trong vòng %d giờ", hour: "trong vòng một giờ",
		today: "trước %s hôm nay", tomorrow: "trước %s ngày mai", weekday: "trước %[2]s %[1]s", later: "trước %[3]s %[1]s, %[2]s", date: "02/01",
		days:    [7]string{"Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"},
		usually: "Chúng tôi thường trả lời %s.", away: "Hiện chúng tôi đang ngoài giờ làm việc. Chúng tôi sẽ trả lời %s.",
		ack:        "Chúng tôi đã nhận được tin nhắn của bạn và sẽ trả lời {{reply_by}}. Bạn có thể bổ sung thêm thông tin ngay bây giờ để chúng tôi trả lời một lần cho đầy đủ.",
		ackAfter:   "Chúng tôi đã nhận được tin nhắn của bạn. Hiện đang ngoài giờ làm việc; chúng tôi sẽ trả lời {{reply_by}}. Bạn có thể bổ sung thêm thông tin ngay bây giờ.",
		humanPlace: " (Bạn đang ở vị trí số %d trong hàng chờ.)"},
}

// phrasesFor picks the phrases of a language tag ("fr-CA" → fr), or
// English.
func phrasesFor(tag string) (string, phrases) {
	primary := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
	if p, ok := phrasebook[primary]; ok {
		return primary, p
	}
	return "en", phrasebook["en"]
}

// primaryLanguage is the language part of a tag, lower-cased.
func primaryLanguage(tag string) string { return strings.ToLower(strings.SplitN(tag, "-", 2)[0]) }

// describe says when the reply comes, in a language and a time zone.
func (ph phrases) describe(now, by time.Time, est time.Duration, afterHours bool, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	if !afterHours && by.Sub(now) <= 12*time.Hour {
		switch {
		case est < time.Hour:
			return fmt.Sprintf(ph.minutes, int(est/time.Minute))
		case est == time.Hour:
			return ph.hour
		}
		return fmt.Sprintf(ph.hours, int(est/time.Hour))
	}
	lb, ln := by.In(loc), now.In(loc)
	clock := lb.Format("15:04")
	days := int(time.Date(lb.Year(), lb.Month(), lb.Day(), 0, 0, 0, 0, loc).Sub(time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)).Hours() / 24)
	switch {
	case days <= 0:
		return fmt.Sprintf(ph.today, clock)
	case days == 1:
		return fmt.Sprintf(ph.tomorrow, clock)
	case days < 7:
		return fmt.Sprintf(ph.weekday, ph.days[lb.Weekday()], clock)
	}
	return fmt.Sprintf(ph.later, ph.days[lb.Weekday()], lb.Format(ph.date), clock)
}

// contactLocation is the contact's own time zone when known and valid.
func contactLocation(c parley.Contact) *time.Location {
	if c.TimeZone == "" {
		return nil
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil
	}
	return loc
}
