package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
)

// The knowledge base: agents read and search it, owners and admins
// change it (the knowledge use cases check the role).

// articleRequest is the body of POST and PATCH /knowledge: absent fields
// keep their values (on POST, their defaults).
type articleRequest struct {
	Slug   *string               `json:"slug"`
	Title  *string               `json:"title"`
	Body   *string               `json:"body"`
	Tags   *[]string             `json:"tags"`
	Lang   *string               `json:"lang"`
	Status *parley.ArticleStatus `json:"status"`
	Clip   clipField             `json:"clip"`
}

// clipField tells a clip left out (keep it) from "clip": null (remove it).
type clipField struct {
	set  bool
	clip *parley.Clip
}

func (c *clipField) UnmarshalJSON(b []byte) error {
	c.set = true
	return json.Unmarshal(b, &c.clip)
}

func (req articleRequest) patch() knowledge.ArticlePatch {
	p := knowledge.ArticlePatch{Slug: req.Slug, Title: req.Title, Body: req.Body, Tags: req.Tags, Lang: req.Lang, Status: req.Status}
	if req.Clip.set {
		p.Clip = &req.Clip.clip
	}
	return p
}

func (req articleRequest) empty() bool { return req == (articleRequest{}) }

func (s *Server) listArticles(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.Knowledge.Articles(r.Context(), knowledge.ListFilter{Q: q.Get("q"), Status: parley.ArticleStatus(q.Get("status")),
		Lang: q.Get("lang"), Limit: int(limit)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"articles": list})
}

func (s *Server) createArticle(w http.ResponseWriter, r *http.Request) error {
	var req articleRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	var a parley.Article
	if req.Title == nil {
		return parley.Errorf(parley.EINVALID, "an article needs a title")
	}
	req.patch().Apply(&a)
	a, err := s.Knowledge.CreateArticle(r.Context(), actorFrom(r).Role, a)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "article_id")
	if err != nil {
		return err
	}
	a, err := s.Knowledge.Article(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) updateArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "article_id")
	if err != nil {
		return err
	}
	var req articleRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.empty() {
		return parley.Errorf(parley.EINVALID, "nothing to change: give at least one field")
	}
	a, err := s.Knowledge.UpdateArticle(r.Context(), actorFrom(r).Role, id, req.patch())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "article_id")
	if err != nil {
		return err
	}
	if err := s.Knowledge.DeleteArticle(r.Context(), actorFrom(r).Role, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) searchKnowledge(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if strings.TrimSpace(q.Get("q")) == "" {
		return parley.Errorf(parley.EINVALID, "q is required")
	}
	limit, err := queryInt(r, "limit", 5, 1, 50)
	if err != nil {
		return err
	}
	var kinds []string
	if k := q.Get("kinds"); k != "" {
		kinds = strings.Split(k, ",")
	}
	res, err := s.Knowledge.Search(r.Context(), knowledge.Query{Text: q.Get("q"), Lang: q.Get("lang"), Kinds: kinds, Limit: int(limit)})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"sources": res})
}
