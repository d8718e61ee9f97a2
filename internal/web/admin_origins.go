package web

import (
	"net/http"
	"strings"
)

// originsForm reads the sites allowed to embed a widget from the
// allowed_origins field: one a line (spaces and commas separate too, so
// a pasted list works). Checking them is the domain's (parley.Inbox).
func originsForm(r *http.Request) []string {
	return strings.FieldsFunc(r.PostFormValue("allowed_origins"), func(c rune) bool {
		return c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == ','
	})
}
