package widget

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// The public survey page, /survey/{token}: where email links lead and the
// fallback for any channel. The token is the only credential, so the
// page works without an account, without JavaScript and in any mail
// client's browser.
//
// GET never records anything: it shows the form, with the score from the
// link (?ces=N, ?csat=N) already selected, and the customer confirms with
// POST. Mail security scanners open every link in a message, so a GET
// that recorded would submit all five scores on their behalf.

// surveyCSP allows the page's own style and its own form, nothing else.
const surveyCSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type surveyOption struct {
	Name     string
	Value    int
	Label    string
	Checked  bool
	Required bool
}

type surveyQuestion struct {
	Name, Text string
	Options    []surveyOption
}

type surveyPage struct {
	Token, Name, Lang, CSS string
	P                      inbox.SurveyPhrases
	Questions              []surveyQuestion
	AskComment             bool
	Comment                string
	Saved, Finished        bool
	Closed                 bool
	Error                  string
}

// surveyPageGet shows a survey's open questions.
func (s *Server) surveyPageGet(w http.ResponseWriter, r *http.Request) {
	s.renderSurvey(w, r, http.StatusOK, "", r.URL.Query().Get("saved") == "1")
}

// surveyPagePost records the answers given on the page, then shows what
// is left (post, redirect, get: a reload does not post again).
func (s *Server) surveyPagePost(w http.ResponseWriter, r *http.Request) {
	if !s.ipLimit.allow(r.Context(), "ip:"+s.Proxies.Key(r)) {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "Too many requests; please wait a moment and try again.", http.StatusTooManyRequests)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxJSONBytes)
	if err := r.ParseForm(); err != nil {
		s.renderSurvey(w, r, http.StatusBadRequest, "The form could not be read.", false)
		return
	}
	var a parley.SurveyAnswer
	var bad bool
	a.CES, bad = formScore(r.PostForm.Get("ces"))
	if !bad {
		a.CSAT, bad = formScore(r.PostForm.Get("csat"))
	}
	a.Comment = strings.TrimSpace(r.PostForm.Get("comment"))
	token := r.PathValue("token")
	if bad {
		s.renderSurvey(w, r, http.StatusBadRequest, "Please choose a score from 1 to 5.", false)
		return
	}
	if a.CES == nil && a.CSAT == nil && a.Comment == "" {
		s.renderSurvey(w, r, http.StatusBadRequest, "Please choose a score.", false)
		return
	}
	_, err := s.Inbox.AnswerSurvey(r.Context(), token, 0, a, inbox.ViaPage)
	if err != nil {
		status := jsonhttp.StatusFor(parley.ErrorCode(err))
		s.renderSurvey(w, r, status, parley.ErrorMessageOr(err), false)
		return
	}
	http.Redirect(w, r, "/survey/"+token+"?saved=1", http.StatusSeeOther)
}

// formScore reads an optional score; bad is true for anything but
// empty or 1–5.
func formScore(v string) (score *int, bad bool) {
	if v == "" {
		return nil, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 5 {
		return nil, true
	}
	return &n, false
}

// renderSurvey writes the page for the token in the path: 404 for an
// unknown one (or one never sent), the closing line once nothing is
// left to answer.
func (s *Server) renderSurvey(w http.ResponseWriter, r *http.Request, status int, msg string, saved bool) {
	h := w.Header()
	h.Set("Content-Security-Policy", surveyCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // the URL carries the token
	h.Set("Cache-Control", "no-store")
	sv, err := s.DB.SurveyByToken(r.Context(), r.PathValue("token"))
	if err == nil && sv.Status != parley.SurveySent {
		err = parley.Errorf(parley.ENOTFOUND, "no such survey")
	}
	if err != nil {
		http.Error(w, "Not found", jsonhttp.StatusFor(parley.ErrorCode(err)))
		return
	}
	name := "Parley"
	if in, _, err := s.DB.Inbox(r.Context(), sv.InboxID); err == nil {
		name = in.Name
	}
	ph := inbox.SurveyPhrasesFor(sv.Language)
	d := surveyPage{Token: sv.Token, Name: name, Lang: ph.Lang, CSS: s.assetURL("survey.css"), P: ph, Error: msg, Saved: saved}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
		d.Comment = q.Get("comment")
	}
	add := func(name string, required bool) {
		pre, _ := formScore(q.Get(name))
		sq := surveyQuestion{Name: name, Text: ph.Question(name)}
		for i, l := range ph.Labels(name) {
			sq.Options = append(sq.Options, surveyOption{Name: name, Value: i + 1, Label: l, Required: required, Checked: pre != nil && *pre == i+1})
		}
		d.Questions = append(d.Questions, sq)
	}
	if sv.CES == nil {
		add(parley.QuestionCES, true)
	}
	if sv.AskCSAT && sv.CSAT == nil {
		add(parley.QuestionCSAT, false)
	}
	d.AskComment = sv.Comment == ""
	d.Finished = len(d.Questions) == 0 && !d.AskComment
	d.Closed = status == http.StatusConflict || (sv.SentAt != nil && s.DB.Now().Sub(*sv.SentAt) > inbox.SurveyAnswerWindow)
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "survey.html", d); err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// surveyJSON is what the widget needs to draw a survey under its message.
type surveyJSON struct {
	Token        string    `json:"token"`
	Next         string    `json:"next"`    // "ces", "csat", or "" when only the comment is left (or nothing)
	CommentOpen  bool      `json:"comment"` // no comment yet
	CES          string    `json:"ces_question"`
	CESLabels    [5]string `json:"ces_labels"`
	CSAT         string    `json:"csat_question"`
	CSATLabels   [5]string `json:"csat_labels"`
	CommentLabel string    `json:"comment_label"`
	Submit       string    `json:"submit"`
	Thanks       string    `json:"thanks"`
}

func surveyFor(sv parley.Survey) *surveyJSON {
	if sv.Status != parley.SurveySent {
		return nil
	}
	ph := inbox.SurveyPhrasesFor(sv.Language)
	return &surveyJSON{Token: sv.Token, Next: sv.Next(), CommentOpen: sv.Comment == "", CES: ph.CES, CESLabels: ph.CESLabels,
		CSAT: ph.CSAT, CSATLabels: ph.CSATLabels, CommentLabel: ph.Comment, Submit: ph.Submit, Thanks: ph.Thanks}
}

type surveyAnswerRequest struct {
	Token   string `json:"token"`
	CES     *int   `json:"ces"`
	CSAT    *int   `json:"csat"`
	Comment string `json:"comment"`
}

// answerSurvey records a visitor's answer from the widget's buttons. It is
// authorized like every visitor call, and the survey must be this
// visitor's: a token alone from another contact is not found.
func (s *Server) answerSurvey(w http.ResponseWriter, r *http.Request) error {
	in, v, err := s.visitorRequest(r, true)
	if err != nil {
		return err
	}
	var req surveyAnswerRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	sv, err := s.DB.SurveyByToken(r.Context(), req.Token)
	if err != nil || sv.ContactID != v.contactID || v.contactID == 0 {
		return parley.Errorf(parley.ENOTFOUND, "no such survey")
	}
	sv, err = s.Inbox.AnswerSurvey(r.Context(), req.Token, in.ID, parley.SurveyAnswer{CES: req.CES, CSAT: req.CSAT, Comment: req.Comment}, inbox.ViaWidget)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"survey": surveyFor(sv)})
}
