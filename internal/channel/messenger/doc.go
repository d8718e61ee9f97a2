// Package messenger is Parley's adapter for the Facebook Messenger
// Platform (Meta Graph API, webhook object "page"). It covers:
//
//   - the webhook: the GET verification handshake ([VerifyChallenge]), the
//     X-Hub-Signature-256 check over the raw body ([CheckSignature]) and
//     [Parse], which turns one webhook POST (several entries, several
//     messaging events each) into a channel.Batch: messages (text, quick
//     replies, attachments image / video / audio / file / location /
//     fallback, stickers, replies), echoes of the page's own sends
//     (Inbound.Echo, never a customer message), postbacks (button taps,
//     as channel.KindInteractive), and delivery and read events as
//     watermark channel.Receipts;
//   - sending ([Client.Send]): text, or one attachment by URL or
//     attachment id, as a RESPONSE inside the 24-hour window or as a
//     MESSAGE_TAG (HUMAN_AGENT and the other tags) outside it;
//   - Graph error codes mapped to channel.SendError ([SendErrorFor]);
//   - the messaging window: 24 hours, then HUMAN_AGENT up to 7 days
//     ([Window]).
//
// Not covered yet: the "standby" channel (handover protocol), reactions,
// referrals, opt-ins, message edits and unsends, sender actions (typing,
// mark seen), quick replies and templates on outbound messages, and
// Instagram (object "instagram"), which shares much of this shape.
//
// Package messengertest holds a fake Send API server for tests.
package messenger
