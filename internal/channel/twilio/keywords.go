package twilio

import "strings"

// Keyword is what an inbound SMS body means for the contact's consent.
type Keyword int

// Keyword kinds.
const (
	KeywordNone   Keyword = iota
	KeywordOptOut         // the contact unsubscribed: do not send them SMS again until they opt in
	KeywordOptIn          // the contact resubscribed
	KeywordHelp           // the contact asked for help; Twilio answers with the help text
)

func (k Keyword) String() string {
	switch k {
	case KeywordOptOut:
		return "opt-out"
	case KeywordOptIn:
		return "opt-in"
	case KeywordHelp:
		return "help"
	}
	return "none"
}

// Twilio's default opt-out handling: a message whose whole body is one of
// these words (any case, surrounding spaces ignored) changes the contact's
// subscription for that sender. After an opt-out Twilio itself refuses
// further sends with error 21610 until the contact sends an opt-in word.
var keywords = map[string]Keyword{
	"STOP": KeywordOptOut, "STOPALL": KeywordOptOut, "UNSUBSCRIBE": KeywordOptOut,
	"CANCEL": KeywordOptOut, "END": KeywordOptOut, "QUIT": KeywordOptOut,
	"START": KeywordOptIn, "YES": KeywordOptIn, "UNSTOP": KeywordOptIn,
	"HELP": KeywordHelp, "INFO": KeywordHelp,
}

// ParseKeyword classifies an inbound body. Only the whole body counts:
// "stop" opts out, "please stop texting me" does not (Twilio's rule).
func ParseKeyword(body string) Keyword {
	body = strings.TrimSpace(body)
	if len(body) > len("UNSUBSCRIBE") {
		return KeywordNone
	}
	for i := 0; i < len(body); i++ {
		if body[i] >= 0x80 { // ASCII only: "ſtop" is not STOP
			return KeywordNone
		}
	}
	return keywords[strings.ToUpper(body)]
}

// OptOutKeyword reports whether body opts the contact out of, or back in
// to, messages from the number it was sent to.
func OptOutKeyword(body string) (optOut, optIn bool) {
	k := ParseKeyword(body)
	return k == KeywordOptOut, k == KeywordOptIn
}
