package zalo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/channel"
)

func fixedNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestRefreshRotatesAndIsSingleUse(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fixedNow(t, at)
	srv, _ := newFake(t)
	ctx := context.Background()

	first, err := Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, fakeRefresh)
	if err != nil {
		t.Fatal(err)
	}
	if first.AccessToken == "" || first.RefreshToken == "" || first.RefreshToken == fakeRefresh {
		t.Fatalf("got %+v", first)
	}
	if want := at.Add(90000 * time.Second); !first.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt %v, want %v", first.ExpiresAt, want)
	}
	r := srv.Requests()[0]
	if r.Header.Get("secret_key") != fakeSecret || r.Form["app_id"][0] != fakeApp ||
		r.Form["grant_type"][0] != "refresh_token" || r.Form["refresh_token"][0] != fakeRefresh {
		t.Errorf("request %+v", r)
	}

	// The old refresh token is spent.
	_, err = Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, fakeRefresh)
	var re *RefreshError
	if !errors.As(err, &re) || !re.Permanent {
		t.Fatalf("reuse: got %v, want a permanent RefreshError", err)
	}
	// The new one works, once.
	second, err := Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Errorf("not rotated: %+v %+v", first, second)
	}
	if _, err := Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, first.RefreshToken); !errors.As(err, &re) || !re.Permanent {
		t.Errorf("second reuse: %v", err)
	}
	// The new access token sends.
	c := &Client{BaseURL: srv.URL, AccessToken: second.AccessToken, HTTP: srv.Client()}
	if _, err := c.Send(ctx, channel.Outbound{To: tUser, Text: "hi"}); err != nil {
		t.Errorf("send with new token: %v", err)
	}
	noProblems(t, srv)
}

func TestRefreshRefusals(t *testing.T) {
	srv, _ := newFake(t)
	ctx := context.Background()
	var re *RefreshError
	for name, args := range map[string][3]string{
		"wrong secret":  {fakeApp, "nope", fakeRefresh},
		"wrong app":     {"other-app", fakeSecret, fakeRefresh},
		"unknown token": {fakeApp, fakeSecret, "never-issued"},
		"empty token":   {fakeApp, fakeSecret, ""},
	} {
		if _, err := Refresh(ctx, http.DefaultClient, srv.URL, args[0], args[1], args[2]); !errors.As(err, &re) || !re.Permanent {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The refusals above did not spend the real token.
	if _, err := Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, fakeRefresh); err != nil {
		t.Errorf("real token: %v", err)
	}
}

func TestRefreshAnswers(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fixedNow(t, at)
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool // when an error is expected
		wantErr   bool
		expires   time.Duration
	}{
		{"numeric expires_in", 200, `{"access_token":"a","refresh_token":"r","expires_in":3600}`, false, false, time.Hour},
		{"missing expires_in", 200, `{"access_token":"a","refresh_token":"r"}`, false, false, time.Hour},
		{"no new refresh token", 200, `{"access_token":"a","expires_in":"90000"}`, true, true, 0},
		{"zalo error", 200, `{"error":-14014,"error_name":"Invalid refresh token","error_description":"gone"}`, true, true, 0},
		{"5xx", 502, `bad gateway`, false, true, 0},
		{"4xx html", 403, `<html>`, true, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer s.Close()
			got, err := Refresh(context.Background(), http.DefaultClient, s.URL, "a", "s", "r")
			if !tc.wantErr {
				if err != nil || !got.ExpiresAt.Equal(at.Add(tc.expires)) {
					t.Fatalf("got %+v, %v", got, err)
				}
				return
			}
			var re *RefreshError
			if !errors.As(err, &re) || re.Permanent != tc.permanent {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// memStore is the TokenStore the Refresh documentation sketches, for
// these tests only: a compare-and-swap on the old refresh token.
type memStore struct {
	mu  sync.Mutex
	cur Tokens
}

func (m *memStore) Load() Tokens { m.mu.Lock(); defer m.mu.Unlock(); return m.cur }

func (m *memStore) Swap(oldRefresh string, next Tokens) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur.RefreshToken != oldRefresh {
		return false
	}
	m.cur = next
	return true
}

// refreshVia is the caller protocol from Refresh's documentation.
func refreshVia(ctx context.Context, store *memStore, base string) (Tokens, error) {
	cur := store.Load()
	next, err := Refresh(ctx, http.DefaultClient, base, fakeApp, fakeSecret, cur.RefreshToken)
	if err != nil {
		var re *RefreshError
		if errors.As(err, &re) && re.Permanent {
			if now := store.Load(); now.RefreshToken != cur.RefreshToken {
				return now, nil // another worker rotated it
			}
		}
		return Tokens{}, err
	}
	if !store.Swap(cur.RefreshToken, next) {
		return store.Load(), nil
	}
	return next, nil
}

// Two workers refresh the same inbox at once: Zalo lets only one use the
// refresh token; the loser must end up with the winner's pair, and the
// store must hold the one live refresh token.
func TestRefreshRaceKeepsTheLiveToken(t *testing.T) {
	srv, c := newFake(t)
	store := &memStore{cur: Tokens{AccessToken: fakeAccess, RefreshToken: fakeRefresh}}
	srv.ExpireAccessTokens()
	ctx := context.Background()

	if _, err := c.Send(ctx, channel.Outbound{To: tUser, Text: "hi"}); !IsTokenError(err) {
		t.Fatalf("expired token: %v", err)
	}
	var wg sync.WaitGroup
	results := make([]Tokens, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = refreshVia(ctx, store, srv.URL)
		}()
	}
	wg.Wait()
	stored := store.Load()
	ok := 0
	for i := range 2 {
		if errs[i] == nil {
			ok++
			if results[i] != stored {
				t.Errorf("worker %d uses %+v, store holds %+v", i, results[i], stored)
			}
		}
	}
	// Both may succeed (the loser found the winner's pair) or, if the
	// loser read the store before the winner's swap, it fails: never may
	// two different pairs be in use.
	if ok == 0 {
		t.Fatalf("no worker refreshed: %v", errs)
	}
	// The stored refresh token is the live one: it works exactly once more.
	if _, err := Refresh(ctx, http.DefaultClient, srv.URL, fakeApp, fakeSecret, stored.RefreshToken); err != nil {
		t.Errorf("stored refresh token is dead: %v", err)
	}
	c.AccessToken = stored.AccessToken
	if _, err := c.Send(ctx, channel.Outbound{To: tUser, Text: "hi"}); err != nil {
		t.Errorf("send after refresh: %v", err)
	}
}
