package specialist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/internal/outbound"
)

// shopAPI reads the shop's JSON APIs. It only ever GETs.
type shopAPI struct {
	base *url.URL
	http *http.Client
}

// maxAnswer bounds what is read of one answer from the shop.
const maxAnswer = 1 << 20

// Why a shop call gave no findings, as the status message's data part
// says it, so a workflow can decide without reading the sentence.
const (
	errUnknownOrder = "unknown_order"    // the shop has no such order: asking again will not help
	errUnavailable  = "shop_unavailable" // no answer, or a 5xx: later may work
	errRefused      = "shop_refused"     // a 4xx other than 404: the agent's setup needs a look
	errBadAnswer    = "shop_bad_answer"  // an answer the agent cannot read
)

// shopError is a call that gave no usable answer. Its reason is a
// sentence a person can read; code and retryable are for programs.
type shopError struct {
	code      string
	reason    string
	retryable bool
}

func (e *shopError) Error() string { return e.reason }

// get reads GET {base}/{resource}/{id} into out. id has been checked by
// validOrder, so it cannot climb out of resource.
func (s *shopAPI) get(ctx context.Context, resource, id string, out any) error {
	u := *s.base
	u.Path = s.base.Path + "/" + resource + "/" + id
	what := "GET /" + resource + "/" + id
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return &shopError{code: errRefused, reason: "the shop's URL is not usable: " + err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		var refused *outbound.RefusedError
		return &shopError{code: errUnavailable, retryable: !errors.As(err, &refused),
			reason: fmt.Sprintf("the shop did not answer %s: %s", what, outbound.Describe(err))}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return &shopError{code: errUnavailable, retryable: true,
			reason: fmt.Sprintf("the shop's answer to %s was cut off: %s", what, outbound.Describe(err))}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		// The shop answers 404 for an order it does not know. A shop URL
		// with a wrong path answers 404 too; naming the request lets an
		// operator tell the two apart.
		return &shopError{code: errUnknownOrder, reason: fmt.Sprintf("the shop has no order %s (%s answered 404)", id, what)}
	case resp.StatusCode >= 500:
		return &shopError{code: errUnavailable, retryable: true,
			reason: fmt.Sprintf("the shop answered %s with %d%s; try again later", what, resp.StatusCode, said(body))}
	case resp.StatusCode != http.StatusOK:
		return &shopError{code: errRefused,
			reason: fmt.Sprintf("the shop refused %s with %d%s", what, resp.StatusCode, said(body))}
	case len(body) > maxAnswer:
		return &shopError{code: errBadAnswer, reason: fmt.Sprintf("the shop's answer to %s is over %d bytes", what, maxAnswer)}
	}
	if err := json.Unmarshal(body, out); err != nil {
		slog.Warn("specialist: the shop's answer is not the JSON expected", "request", what, "err", err)
		return &shopError{code: errBadAnswer, reason: fmt.Sprintf("the shop's answer to %s is not the JSON this agent reads", what)}
	}
	return nil
}

// said is the shop's own "error" text, when it gave one, as a short
// clause: it helps the operator, and is one line of bounded length
// because it ends up in a sentence for a person.
func said(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || oneLine(e.Error) == "" {
		return ""
	}
	return ` ("` + oneLine(e.Error) + `")`
}

// oneLine makes text from the shop safe to put in a sentence: control
// characters and runs of space become one space, and it is cut at 120
// characters.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return s
}
