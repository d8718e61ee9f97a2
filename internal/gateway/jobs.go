package gateway

import (
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
)

// RegisterJobs registers the handlers of the job kinds the gateway owns:
// sending a queued message through its channel, and fetching a
// provider's media into an attachment.
func (g *Gateway) RegisterJobs(r *jobs.Runner) {
	r.Handle(inbox.JobChannelSend, g.Send)
	r.Handle(inbox.JobMediaFetch, g.FetchMedia)
}
