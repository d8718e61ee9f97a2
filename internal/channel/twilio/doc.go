// Package twilio is the Twilio Programmable Messaging adapter (SMS, MMS,
// and WhatsApp or Messenger through Twilio): it checks and parses the
// form-encoded webhooks (incoming messages and status callbacks), spots
// the opt-out keywords carriers require honouring, and sends messages with
// the 2010-04-01 Messages API, mapping Twilio's error codes to
// channel.SendError.
//
// A webhook handler does, in order: read the form (r.ParseForm), Verify
// the X-Twilio-Signature against the public URL and the POST form, then
// Parse. Twilio expects a 200 (an empty body or empty TwiML <Response/>).
//
// SMS has no messaging window, but a contact who texted STOP (see
// ParseKeyword) must not be messaged again until they text START; Twilio
// enforces this itself with error 21610.
//
// The package is plain net/http; package twiliotest is an in-process fake
// of the Messages API for tests.
package twilio
