package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/yuin/goldmark"
)

// The knowledge base in the agent inbox: Settings → Knowledge base (admins
// write, with search), the composer's "Insert article link" picker
// (agents), and the public help page of each published article.

type knowledgeView struct {
	Page
	Q        string
	Articles []parley.Article
	Form     articleForm // the new-article form, refilled after a refused save
}

// articleForm is the edit form: the article as typed, and why a save
// was refused.
type articleForm struct {
	parley.Article
	TagsText string
	Error    string
	CSRF     string
	URL      string // a published article's help page
}

type articleEditView struct {
	Page
	Form articleForm
}

func (s *Server) knowledgePage(w http.ResponseWriter, r *http.Request) error {
	v := knowledgeView{Page: s.page(r, "Knowledge base", "knowledge"), Q: r.URL.Query().Get("q")}
	v.Form.Lang, v.Form.Status, v.Form.CSRF = "en", parley.ArticlePublished, v.CSRF
	var err error
	if v.Articles, err = s.Knowledge.Articles(r.Context(), knowledge.ListFilter{Q: v.Q, Limit: 200}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_knowledge", "", v)
}

func (s *Server) articlePage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := s.Knowledge.Article(r.Context(), id)
	if err != nil {
		return err
	}
	v := articleEditView{Page: s.page(r, a.Title, "knowledge"), Form: s.articleForm(a)}
	v.Form.CSRF = v.CSRF
	return s.render(w, r, http.StatusOK, "admin_article", "", v)
}

func (s *Server) articleForm(a parley.Article) articleForm {
	f := articleForm{Article: a, TagsText: strings.Join(a.Tags, ", ")}
	if a.ID != 0 && a.Status == parley.ArticlePublished {
		f.URL = s.Knowledge.ArticleURL(a)
	}
	return f
}

// saveArticle creates an article, or updates the one in the path. A
// refused article comes back in its form with the reason, as typed.
func (s *Server) saveArticle(w http.ResponseWriter, r *http.Request) error {
	in := parley.Article{Title: r.PostFormValue("title"), Slug: r.PostFormValue("slug"), Body: r.PostFormValue("body"),
		Lang: r.PostFormValue("lang"), Status: parley.ArticleStatus(r.PostFormValue("status"))}
	tagsText := r.PostFormValue("tags")
	for t := range strings.SplitSeq(tagsText, ",") {
		if t = strings.TrimSpace(t); t != "" {
			in.Tags = append(in.Tags, t)
		}
	}
	role := actorFrom(r).Role
	clip, clipSet, err := s.clipFrom(r)
	if err != nil {
		return err
	}
	in.Clip = clip
	var a parley.Article
	if r.PathValue("id") == "" {
		a, err = s.Knowledge.CreateArticle(r.Context(), role, in)
	} else {
		var id int64
		if id, err = pathID(r); err != nil {
			return err
		}
		in.ID = id
		tags := in.Tags
		patch := knowledge.ArticlePatch{Title: &in.Title, Slug: &in.Slug, Body: &in.Body, Lang: &in.Lang, Status: &in.Status, Tags: &tags}
		if clipSet {
			patch.Clip = &clip
		}
		a, err = s.Knowledge.UpdateArticle(r.Context(), role, id, patch)
	}
	if code := parley.ErrorCode(err); code == parley.EINVALID || code == parley.ECONFLICT {
		p := s.page(r, "Knowledge base", "knowledge")
		f := articleForm{Article: in, TagsText: tagsText, Error: parley.ErrorMessage(err), CSRF: p.CSRF}
		if in.ID == 0 {
			v := knowledgeView{Page: p, Form: f}
			if v.Articles, err = s.Knowledge.Articles(r.Context(), knowledge.ListFilter{Limit: 200}); err != nil {
				return err
			}
			return s.render(w, r, http.StatusBadRequest, "admin_knowledge", "", v)
		}
		if !clipSet { // shown again with the clip the article keeps
			old, err := s.Knowledge.Article(r.Context(), in.ID)
			if err != nil {
				return err
			}
			f.Clip = old.Clip
		}
		p.Title = "Edit article"
		return s.render(w, r, http.StatusBadRequest, "admin_article", "", articleEditView{Page: p, Form: f})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/knowledge/"+strconv.FormatInt(a.ID, 10)+"?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Knowledge.DeleteArticle(r.Context(), actorFrom(r).Role, id); err != nil {
		return err
	}
	const to = "/app/admin/knowledge?flash=deleted"
	if isHX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// pickerView is the composer picker's results.
type pickerView struct {
	Q       string
	Results []pickerResult
}

type pickerResult struct {
	Title, URL string
	Clip       *parley.Clip // attached with the link when the article has one
}

// knowledgePicker searches published articles for the composer's
// "Insert article link" box.
func (s *Server) knowledgePicker(w http.ResponseWriter, r *http.Request) error {
	v := pickerView{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	if v.Q != "" {
		res, err := s.Knowledge.Search(r.Context(), knowledge.Query{Text: v.Q, Kinds: []string{knowledge.KindArticle}, Limit: 8})
		if err != nil {
			return err
		}
		// The results' clips, in one read.
		ids := make([]int64, len(res))
		for i, src := range res {
			ids[i] = src.ID
		}
		articles, err := s.DB.Articles(r.Context(), store.ArticleFilter{IDs: ids, Limit: len(ids)})
		if err != nil {
			return err
		}
		clips := make(map[int64]*parley.Clip, len(articles))
		for _, a := range articles {
			clips[a.ID] = a.Clip
		}
		for _, src := range res {
			v.Results = append(v.Results, pickerResult{Title: src.Title, URL: src.URL, Clip: clips[src.ID]})
		}
	}
	return s.render(w, r, http.StatusOK, "partials", "kb-picker-results", v)
}

// helpView is a public help page.
type helpView struct {
	Page
	Article  parley.Article
	HTML     template.HTML
	ClipKind string // image, video or file, when the article has a clip
}

// helpArticle is the public page of a published article. Drafts and
// unknown slugs are both 404, so a draft's existence is not revealed.
func (s *Server) helpArticle(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Knowledge.PublishedArticle(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	body, err := renderMarkdown(a.Body)
	if err != nil {
		return err
	}
	v := helpView{Page: Page{Title: a.Title}, Article: a, HTML: body}
	if a.Clip != nil {
		_, ct, err := s.DB.BlobInfo(r.Context(), a.Clip.UploadID)
		if err != nil {
			return err
		}
		v.ClipKind = attachmentKind(ct)
	}
	return s.render(w, r, http.StatusOK, "help_article", "", v)
}

// helpClip serves a published article's clip to anyone who may read the
// article, inline when it is a picture or a video a browser plays.
func (s *Server) helpClip(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Knowledge.PublishedArticle(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	if a.Clip == nil {
		return parley.Errorf(parley.ENOTFOUND, "this article has no clip")
	}
	size, ct, err := s.DB.BlobInfo(r.Context(), a.Clip.UploadID)
	if err != nil {
		return err
	}
	f := parley.Attachment{SHA256: a.Clip.UploadID, Filename: a.Clip.Filename, ContentType: ct, Size: size}
	return blob.Serve(w, r, s.Blobs, f, attachmentKind(ct) != "file")
}

// markdown renders without raw HTML (goldmark's default), and the result
// still goes through bluemonday's policy for user content: an article may
// be imported from anywhere, and its page is on Parley's own origin.
var (
	markdown  = goldmark.New()
	sanitizer = bluemonday.UGCPolicy()
)

func renderMarkdown(src string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes())), nil // #nosec: sanitized just above
}
