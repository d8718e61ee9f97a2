// Package zalo is the Parley adapter for Zalo Official Accounts (OA Open
// API v3). It turns Zalo's webhook events into channel.Batch, sends
// customer-service ("consultation", tin tư vấn) messages, refreshes OA
// access tokens and encodes Zalo's rule about when an OA may write.
//
// What it covers, and the provider rule behind each part:
//
//   - CheckSignature verifies the X-ZEvent-Signature header of a webhook
//     call over the raw request bytes. Sources disagree on the exact
//     formula; the one implemented is isolated in a single function,
//     signature, so it can be swapped once a real capture pins it down.
//   - Parse reads one webhook call. Zalo posts one event per call; every
//     user_send_* event becomes a channel.Inbound (unknown kinds become
//     channel.KindUnsupported, never an error), user_received_message and
//     user_seen_message become delivery and read receipts, oa_send_* are
//     copies of the OA's own sends and come back with Echo set, and
//     follow/unfollow and OA-side or system events are accepted and
//     ignored. Only malformed JSON is an error.
//   - Client.Send posts to /v3.0/oa/message/cs with the access_token
//     header. Zalo answers HTTP 200 with {"error": N, "message": "..."};
//     non-zero codes become *channel.SendError with a message written for
//     agents and Permanent/RetryAfter set from Zalo's error table.
//   - Refresh exchanges a refresh token for a new access token. Zalo's
//     refresh tokens are SINGLE-USE and rotate on every refresh: read the
//     documentation on Refresh before calling it.
//   - Window encodes the consultation-message policy: free within 48 hours
//     of the customer's last interaction, billed between 48 hours and 7
//     days, refused by Zalo after 7 days (errors -230/-232).
//
// Sub-package zalotest is an in-process fake of the Zalo endpoints this
// package calls, checking every request's shape.
//
// Most facts about Zalo's wire format come from secondary sources that
// quote the official documentation (the team's channel research notes,
// section 4 "Zalo Official Account"); where a behaviour rests on such a
// source the comment says so.
package zalo
