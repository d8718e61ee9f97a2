package zalo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultOAuthBaseURL is Zalo's OAuth v4 host.
const DefaultOAuthBaseURL = "https://oauth.zaloapp.com"

// tokenPath is the OA token endpoint of OAuth v4 [secondary].
const tokenPath = "/v4/oa/access_token"

// Tokens is an OA access token with the refresh token that replaces it.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time // when AccessToken stops working (Zalo gives ~25 h)
}

// RefreshError is Zalo refusing a refresh, or a refresh that could not be
// completed.
type RefreshError struct {
	Code    string // Zalo's error code, or "http_<status>"
	Message string // for the people running the inbox
	// Permanent: Zalo answered and refused this refresh token (used
	// already, expired after ~3 months, revoked, or wrong app). Trying the
	// same token again cannot help: first reload the stored pair (another
	// worker may have refreshed it, see Refresh) and if it has not
	// changed, the inbox must be reconnected.
	Permanent bool
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("zalo: token refresh: %s (code %s)", e.Message, e.Code)
}

// refreshHTTP is the client Refresh uses when given none.
var refreshHTTP = outbound.Strict().HTTPClient(30 * time.Second)

// now is the clock for ExpiresAt; tests replace it.
var now = time.Now

// Refresh exchanges refreshToken for a new access token, through hc (nil:
// a client of outbound.Strict, public addresses only). oauthBaseURL is
// DefaultOAuthBaseURL in production; appID and secretKey are the Zalo
// app's id and secret key.
//
// ZALO REFRESH TOKENS ARE SINGLE-USE. A successful call returns a NEW
// access token AND a NEW refresh token, and the refresh token passed in
// stops working at that moment. The new pair is then the only way to keep
// the OA connected without the owner logging in again. So the caller must:
//
//  1. Serialise refreshes per inbox (a lock or single-flight): two
//     concurrent refreshes with the same token can only both succeed at
//     Zalo once.
//  2. Store the new pair ATOMICALLY, IMMEDIATELY, before using the new
//     access token for anything, with a compare-and-swap on the old
//     refresh token, so that a crash or a racing worker can never leave
//     the store holding a refresh token Zalo has already retired.
//  3. On a *RefreshError with Permanent set, reload the stored pair: if
//     its refresh token is no longer the one just used, another worker
//     rotated it; use the stored access token. Only if it is unchanged is
//     the connection lost (ask for the inbox to be reconnected).
//
// A sketch of the store this needs (not implemented in this package):
//
//	type TokenStore interface {
//		// Load returns the inbox's current pair.
//		Load(ctx context.Context, inboxID string) (zalo.Tokens, error)
//		// Swap stores next only if the stored refresh token is still
//		// oldRefresh (e.g. UPDATE ... SET access=$1, refresh=$2,
//		// expires=$3 WHERE inbox=$4 AND refresh=$5, in one statement),
//		// and reports whether it did.
//		Swap(ctx context.Context, inboxID, oldRefresh string, next zalo.Tokens) (bool, error)
//	}
//
// and the caller's refresh:
//
//	cur, _ := store.Load(ctx, inbox)
//	next, err := zalo.Refresh(ctx, nil, zalo.DefaultOAuthBaseURL, appID, secret, cur.RefreshToken)
//	if err != nil { /* step 3 */ }
//	ok, err := store.Swap(ctx, inbox, cur.RefreshToken, next) // before anything else
//	if err != nil { /* retry the Swap, do not drop next */ }
//	if !ok { next, _ = store.Load(ctx, inbox) } // someone else won
//
// One risk cannot be removed: if the answer is lost (a timeout after Zalo
// rotated the token, or a crash between the answer and the Swap), the new
// pair is gone and the old one is dead. Keep that window short: no work
// between Refresh returning and Swap, and a generous timeout.
//
// Errors: a *RefreshError when Zalo answered (Permanent as above;
// HTTP 5xx and 429 are not permanent), otherwise a transport error, after
// which the same refresh token may be tried again.
func Refresh(ctx context.Context, hc *http.Client, oauthBaseURL, appID, secretKey, refreshToken string) (Tokens, error) {
	if appID == "" || secretKey == "" || refreshToken == "" {
		return Tokens{}, &RefreshError{Code: "missing_credentials", Message: "the Zalo app id, secret key or refresh token is missing; reconnect the Zalo inbox", Permanent: true}
	}
	if oauthBaseURL == "" {
		oauthBaseURL = DefaultOAuthBaseURL
	}
	form := url.Values{
		"app_id":        {appID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(oauthBaseURL, "/")+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return Tokens{}, fmt.Errorf("zalo: token refresh: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", secretKey)

	start := now()
	if hc == nil {
		hc = refreshHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Tokens{}, fmt.Errorf("zalo: token refresh: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Tokens{}, fmt.Errorf("zalo: token refresh: read answer: %w", err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return Tokens{}, &RefreshError{Code: "http_" + strconv.Itoa(resp.StatusCode), Message: "Zalo's OAuth server is unavailable; try again later"}
	}
	var ans struct {
		AccessToken      flexString `json:"access_token"`
		RefreshToken     flexString `json:"refresh_token"`
		ExpiresIn        flexString `json:"expires_in"` // seconds, sent as a string ("90000")
		Error            flexString `json:"error"`
		ErrorName        string     `json:"error_name"`
		ErrorReason      string     `json:"error_reason"`
		ErrorDescription string     `json:"error_description"`
		Message          string     `json:"message"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			if resp.StatusCode >= 400 {
				return Tokens{}, &RefreshError{Code: "http_" + strconv.Itoa(resp.StatusCode), Message: "Zalo refused the token refresh; reconnect the Zalo inbox", Permanent: true}
			}
			return Tokens{}, fmt.Errorf("zalo: token refresh: unexpected answer (HTTP %d): %.200q", resp.StatusCode, data)
		}
	}
	code := ans.Error.String()
	if (code != "" && code != "0") || ans.AccessToken == "" || resp.StatusCode >= 400 {
		msg := firstNonEmpty(ans.ErrorDescription, ans.ErrorReason, ans.ErrorName, ans.Message)
		if code == "" || code == "0" {
			code = "http_" + strconv.Itoa(resp.StatusCode)
		}
		text := "Zalo refused the refresh token; reconnect the Zalo inbox"
		if msg != "" {
			text += " (" + clip(msg, 300) + ")"
		}
		return Tokens{}, &RefreshError{Code: code, Message: text, Permanent: true}
	}
	if ans.RefreshToken == "" {
		// The old refresh token may now be spent and there is no new one:
		// this inbox will need reconnecting once the access token expires.
		return Tokens{}, &RefreshError{Code: "no_refresh_token", Message: "Zalo answered without a new refresh token; reconnect the Zalo inbox", Permanent: true}
	}
	t := Tokens{AccessToken: ans.AccessToken.String(), RefreshToken: ans.RefreshToken.String()}
	if secs, err := strconv.ParseInt(ans.ExpiresIn.String(), 10, 64); err == nil && secs > 0 && secs < 365*24*3600 {
		t.ExpiresAt = start.Add(time.Duration(secs) * time.Second)
	} else {
		// Zalo documents ~25 h; assume less so the caller refreshes early.
		t.ExpiresAt = start.Add(time.Hour)
	}
	return t, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}
