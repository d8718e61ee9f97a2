package apptest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/parleyhq/parley/internal/app/apptest"
)

func TestBrowserWorks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><body><p id="x">hello</p></body></html>`))
	}))
	defer srv.Close()
	ctx := apptest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("x")))
	if err != nil || txt != "hello" {
		t.Fatalf("text = %q, %v", txt, err)
	}
}
