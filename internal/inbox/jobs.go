package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/store"
)

// RegisterJobs registers the handlers of the job kinds the inbox owns.
// Sending (JobChannelSend) and media (JobMediaFetch) belong to the
// gateway, widget notices (JobWidgetNotify) to the widget, and learning
// (JobLearn) to the knowledge base; each registers its own.
func (s *Service) RegisterJobs(r *jobs.Runner) {
	r.Handle(JobSLACheck, func(ctx context.Context, j store.Job) error { return s.CheckSLA(ctx, j.Payload) })
	r.Handle(JobAck, func(ctx context.Context, j store.Job) error { return s.SendAck(ctx, j.Payload) })
	r.Handle(JobSurveySend, func(ctx context.Context, j store.Job) error { return s.SendSurvey(ctx, j.Payload) })
	r.Handle(JobAutoResolve, func(ctx context.Context, j store.Job) error { return s.AutoResolve(ctx, j.Payload) })
	r.Handle(JobSnoozeWake, func(ctx context.Context, j store.Job) error { return s.WakeSnoozed(ctx, j.Payload) })
	r.Handle(JobWebhookDeliver, func(ctx context.Context, j store.Job) error {
		return s.DeliverWebhook(ctx, j.Payload, j.Attempts >= j.MaxAttempts)
	})
}
