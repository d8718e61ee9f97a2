package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrBadPayload is wrapped by webhook parsing errors for a body that is not
// JSON or not for this product: answer 400 and store nothing.
var ErrBadPayload = errors.New("meta: bad webhook payload")

// DecodeWebhook unmarshals a webhook body into v after checking that its
// "object" is want ("whatsapp_business_account", "page"). Errors wrap
// ErrBadPayload.
func DecodeWebhook(raw []byte, want string, v any) error {
	var head struct {
		Object *string `json:"object"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if head.Object == nil || *head.Object != want {
		got := "<none>"
		if head.Object != nil {
			got = strconv.Quote(*head.Object)
		}
		return fmt.Errorf("%w: object is %s, want %q", ErrBadPayload, got, want)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return nil
}

// UnixSeconds is a timestamp in Unix seconds, as WhatsApp sends them (a
// string, or a bare number). Anything unreadable decodes to the zero time
// rather than an error, so one odd field never loses a customer's message.
type UnixSeconds time.Time

// UnmarshalJSON implements json.Unmarshaler.
func (u *UnixSeconds) UnmarshalJSON(b []byte) error {
	if n, ok := lenientInt(b, 1<<40); ok {
		*u = UnixSeconds(time.Unix(n, 0).UTC())
	}
	return nil
}

// UnixMillis is a timestamp in Unix milliseconds, as Messenger sends its
// timestamps and watermarks; unreadable decodes to the zero time.
type UnixMillis time.Time

// UnmarshalJSON implements json.Unmarshaler.
func (m *UnixMillis) UnmarshalJSON(b []byte) error {
	if n, ok := lenientInt(b, 1<<50); ok {
		*m = UnixMillis(time.UnixMilli(n).UTC())
	}
	return nil
}

// lenientInt reads a positive integer below limit from a JSON number or string.
func lenientInt(b []byte, limit int64) (int64, bool) {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0 && n < limit
}
