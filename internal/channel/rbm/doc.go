// Package rbm is the Google RCS Business Messaging adapter: it sends
// agent messages (text with optional suggested replies, or one file by
// URL) with the RBM REST API v1, maps its errors to channel.SendError,
// and checks and parses the webhook Google pushes (user messages, user
// events and server events) into channel shapes.
//
// RCS has no messaging window. What it has instead is reachability: a
// number that is not RCS-capable for this agent answers 404, and a message
// sent with a TTL that expires undelivered is revoked. Both are the
// caller's cue to send the conversation by SMS instead; see
// FallBackToSMS.
//
// Authentication is the caller's: Client.Token returns an OAuth 2 access
// token for a service account with the rcsbusinessmessaging scope.
//
// Package rbmtest is an in-process fake of the agentMessages API and a
// builder of signed webhook pushes, for tests.
package rbm
