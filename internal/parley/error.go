// Package parley holds Parley's domain: conversations, contacts, messages,
// inboxes, agents and teams, the conversation lifecycle, and the
// application error type. It depends on the standard library only; every
// other package points toward it.
package parley

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in exactly one place (jsonhttp.StatusFor).
const (
	EINVALID      = "invalid"      // the request is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the named thing does not exist
	ECONFLICT     = "conflict"     // the change clashes with current state
	EUNAUTHORIZED = "unauthorized" // missing or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials are fine but not allowed this
	ETOOLARGE     = "too_large"    // a body or file is over its limit
	EMEDIATYPE    = "media_type"   // the body's Content-Type is not one this route takes
	EPRECONDITION = "precondition" // a protocol version or precondition header does not match
	ERATELIMIT    = "rate_limited" // too many requests
	EUNAVAILABLE  = "unavailable"  // a dependency (database) is not reachable
	ESTORAGEFULL  = "storage_full" // the disk or database is full: nothing was stored; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure; details are logged, never shown
)

// Error is an error meant to be shown to the caller: a code and a message
// written for people. Internal failures are plain errors and show as EINTERNAL.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("parley: %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or
// "Internal error." for anything else, so internal details never reach users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorMessageOr returns the message of an *Error, or err's own text for
// any other error: for command-line output, where the operator is the reader.
func ErrorMessageOr(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
