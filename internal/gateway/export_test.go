package gateway

import "context"

// SetMarkSent replaces how Send records a send the provider accepted, so
// tests can make that write fail (as a lost database connection would) or
// die (as a crashed process would) after the provider took the message.
func SetMarkSent(g *Gateway, f func(ctx context.Context, messageID int64, attempt, providerID string) error) {
	g.markSent = f
}
