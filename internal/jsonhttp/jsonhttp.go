// Package jsonhttp writes JSON answers and errors and reads JSON request
// bodies strictly, for every part of Parley that speaks JSON over HTTP (the
// REST API, the widget's visitor endpoints). StatusFor is the one mapping
// from error codes to HTTP statuses; the agent inbox's pages use it too.
package jsonhttp

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// StatusFor maps an error code to its HTTP status: the one place that does.
func StatusFor(code string) int {
	switch code {
	case parley.EINVALID:
		return http.StatusBadRequest
	case parley.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case parley.EFORBIDDEN:
		return http.StatusForbidden
	case parley.ENOTFOUND:
		return http.StatusNotFound
	case parley.ECONFLICT:
		return http.StatusConflict
	case parley.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case parley.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case parley.EPRECONDITION:
		return http.StatusPreconditionFailed
	case parley.ERATELIMIT:
		return http.StatusTooManyRequests
	case parley.EUNAVAILABLE, parley.ESTORAGEFULL:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// RetryAfter is how long a client should wait before sending again a
// request that failed with code, or 0 when waiting will not help. A full
// disk or an unreachable database is an operator's to fix, and providers
// and browsers that honour Retry-After then come back without hammering.
func RetryAfter(code string) time.Duration {
	switch code {
	case parley.EUNAVAILABLE, parley.ESTORAGEFULL:
		return 30 * time.Second
	}
	return 0
}

// SetRetryAfter adds the Retry-After header that code calls for, if any.
// Every writer of an error answer calls it, beside StatusFor.
func SetRetryAfter(h http.Header, code string) {
	if d := RetryAfter(code); d > 0 {
		h.Set("Retry-After", strconv.Itoa(int(d/time.Second)))
	}
}

// ErrorBody is the shape of every API error. Details, when present, is
// what the error itself lists (each problem of a refused workflow, with
// its line and field): an error in the chain with an ErrorDetails() any
// method gives it.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details any    `json:"details,omitempty"`
	} `json:"error"`
}

// Error answers with err in the ErrorBody shape and its status. Internal
// errors are logged and shown only as "Internal error."
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := parley.ErrorCode(err)
	if code == parley.EINTERNAL {
		slog.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body ErrorBody
	body.Error.Code, body.Error.Message = code, parley.ErrorMessage(err)
	var d interface{ ErrorDetails() any }
	if code != parley.EINTERNAL && errors.As(err, &d) {
		body.Error.Details = d.ErrorDetails()
	}
	SetRetryAfter(w.Header(), code)
	Write(w, StatusFor(code), body)
}

// Write answers with v as JSON, never sniffed, and never cached unless the
// handler said for how long (a Cache-Control it set is kept).
func Write(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// Decode reads a JSON body into v strictly: one object, no unknown fields,
// within limit bytes. Its errors say what was wrong and where.
func Decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return parley.Errorf(parley.EINVALID, "Content-Type must be application/json, not %q", ct)
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return jsonError(err, limit) // garbage after the object
		}
		return parley.Errorf(parley.EINVALID, "body must hold exactly one JSON object, not several")
	}
	return nil
}

// jsonKind names, in JSON's terms, what a Go type expects.
func jsonKind(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a different JSON type"
}

func jsonError(err error, limit int64) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &tooBig):
		return parley.Errorf(parley.ETOOLARGE, "body is larger than the %d-byte limit", limit)
	case errors.As(err, &syntax):
		return parley.Errorf(parley.EINVALID, "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Field == "":
		return parley.Errorf(parley.EINVALID, "body must be a JSON object, not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		return parley.Errorf(parley.EINVALID, "field %q must be %s, not a JSON %s", typ.Field, jsonKind(typ.Type), typ.Value)
	case errors.As(err, &timeErr):
		return parley.Errorf(parley.EINVALID, "times must be RFC 3339 strings such as \"2026-11-24T09:00:00Z\", not %q", timeErr.Value)
	case errors.Is(err, io.EOF):
		return parley.Errorf(parley.EINVALID, "body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return parley.Errorf(parley.EINVALID, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return parley.Errorf(parley.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return parley.Errorf(parley.EINVALID, "malformed JSON: %v", err)
}
