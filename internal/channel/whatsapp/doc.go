// Package whatsapp is Parley's adapter for the WhatsApp Business Cloud API
// (Meta Graph API, object "whatsapp_business_account"). It covers:
//
//   - the webhook: the GET verification handshake ([VerifyChallenge]), the
//     X-Hub-Signature-256 check over the raw body ([CheckSignature]) and
//     [Parse], which turns one webhook POST (several entries, changes,
//     messages and statuses) into a channel.Batch. Inbound types text,
//     image, audio (and voice), video, document, sticker, location,
//     contacts, interactive (button_reply, list_reply), button (template
//     quick replies) and reaction are understood; anything else
//     (unsupported, order, system, future types) becomes
//     channel.KindUnsupported with a readable Text, never an error.
//     Statuses sent, delivered, read and failed become channel.Receipts,
//     with errors[] mapped to a channel.SendError;
//   - sending ([Client.Send]): text, media by link or uploaded id (image,
//     video, audio, document), approved templates with body parameters,
//     replies (context.message_id), and [Client.MarkRead];
//   - Graph error codes mapped to channel.SendError with agent-readable
//     messages and Permanent / RetryAfter ([SendErrorFor]);
//   - the 24-hour customer service window ([Window]).
//
// Not covered yet: media download (GET /{media-id}), media upload,
// template header/button parameters, outbound interactive, location,
// contacts and reaction messages, account-level value.errors, and
// webhook fields other than "messages".
//
// Package whatsapptest holds a fake Cloud API server for tests.
package whatsapp
