package mcp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Bad input gets JSON-RPC's own answer, never a 500 or a bare text: a
// body that is not JSON is a parse error (-32700), JSON that is not a
// JSON-RPC message an invalid request (-32600), an unknown method a
// method not found (-32601). The SDK answers the last two (and its other
// refusals) with plain text; rpcErrors turns those into error objects.

// JSON-RPC's codes (jsonrpc.org/specification#error_object).
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
)

// readBody reads a POST body bounded by MaxBytesReader and checks it is a
// JSON-RPC message (or a batch of them). On failure it has answered, and
// returns ok false. id is the request's id when the body is one request,
// for the SDK's refusals (see rpcErrors).
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, id any, ok bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			w.Header().Set("Connection", "close")
			writeRPCError(w, http.StatusRequestEntityTooLarge, nil, codeTooLarge, fmt.Sprintf("a request body is at most %d bytes", tooLarge.Limit))
		} else {
			writeRPCError(w, http.StatusBadRequest, nil, codeParse, "Parse error: the request body could not be read")
		}
		return nil, nil, false
	}
	if !json.Valid(body) {
		writeRPCError(w, http.StatusBadRequest, nil, codeParse, "Parse error: the request body is not JSON")
		return nil, nil, false
	}
	var batch []json.RawMessage
	if json.Unmarshal(body, &batch) == nil {
		if len(batch) == 0 {
			writeRPCError(w, http.StatusBadRequest, nil, codeInvalidRequest, "Invalid Request: an empty batch")
			return nil, nil, false
		}
		for _, m := range batch {
			if _, msg := checkMessage(m); msg != "" {
				writeRPCError(w, http.StatusBadRequest, nil, codeInvalidRequest, "Invalid Request: "+msg)
				return nil, nil, false
			}
		}
		return body, nil, true
	}
	id, msg := checkMessage(body)
	if msg != "" {
		writeRPCError(w, http.StatusBadRequest, id, codeInvalidRequest, "Invalid Request: "+msg)
		return nil, nil, false
	}
	return body, id, true
}

// checkMessage checks one message's shape: what is wrong with it ("" if
// nothing), and its id when it has a valid one.
func checkMessage(raw json.RawMessage) (id any, problem string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, "a message must be a JSON object"
	}
	if rawID, ok := m["id"]; ok {
		var v any
		json.Unmarshal(rawID, &v)
		switch v.(type) {
		case string, float64, nil:
			id = v
		default:
			return nil, "id must be a string or a number"
		}
	}
	var version string
	if json.Unmarshal(m["jsonrpc"], &version) != nil || version != "2.0" {
		return id, `"jsonrpc" must be "2.0"`
	}
	if rawMethod, ok := m["method"]; ok {
		var method string
		if json.Unmarshal(rawMethod, &method) != nil || method == "" {
			return id, "method must be a non-empty string"
		}
	} else if _, result := m["result"]; !result {
		if _, isErr := m["error"]; !isErr {
			return id, "a message needs a method (a request) or a result or error (a response)"
		}
	}
	return id, ""
}

// writeRPCError answers with a JSON-RPC error object, so MCP clients show
// the reason, not a bare status (the go-sdk client reads it).
func writeRPCError(w http.ResponseWriter, status int, id any, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}})
}

// rpcErrors passes the SDK's answers through, except its plain-text
// refusals (an unknown method, an unsupported protocol version, a wrong
// content type...), which it rewrites as JSON-RPC error objects with the
// same status.
type rpcErrors struct {
	http.ResponseWriter
	id      any
	status  int
	text    bytes.Buffer
	rewrite bool
}

func (w *rpcErrors) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.status, w.rewrite = status, true
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *rpcErrors) Write(b []byte) (int, error) {
	if w.rewrite {
		return w.text.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *rpcErrors) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.rewrite {
		f.Flush()
	}
}

func (w *rpcErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes the rewritten refusal, if any.
func (w *rpcErrors) finish() {
	if !w.rewrite {
		return
	}
	msg := strings.TrimSpace(w.text.String())
	code := codeInvalidRequest
	switch {
	case strings.HasPrefix(msg, "JSON RPC not handled"):
		code, msg = codeMethodNotFound, "Method not found: "+strings.TrimSpace(strings.TrimPrefix(msg, "JSON RPC not handled:"))
	case w.status >= 500:
		code = codeInternal
	}
	w.ResponseWriter.Header().Del("X-Content-Type-Options")
	writeRPCError(w.ResponseWriter, w.status, w.id, code, msg)
}
