package reload

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// notification is the part of an event that reload reads: enough to tell S3
// records, SQS records and the S3 test event apart, and the bucket and key of each
// S3 record. It is decoded by hand rather than as events.S3Event because that type
// also parses eventTime, which some S3-compatible endpoints write without a time
// zone; reload never needs the time, so such an event must not be dropped.
type notification struct {
	Records []struct {
		EventSource string `json:"eventSource"`
		EventName   string `json:"eventName"`
		S3          struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
	Event string `json:"Event"`
}

// s3Event converts the S3 records of n to the aws-lambda-go type.
func (n notification) s3Event() events.S3Event {
	var e events.S3Event
	for _, r := range n.Records {
		var rec events.S3EventRecord
		rec.EventSource, rec.EventName = r.EventSource, r.EventName
		rec.S3.Bucket.Name, rec.S3.Object.Key = r.S3.Bucket.Name, r.S3.Object.Key
		e.Records = append(e.Records, rec)
	}
	return e
}

// Handle is the Lambda entry point. It takes an S3 event, an SQS event whose
// messages carry S3 events, or an S3 test event (ignored). For SQS it answers
// with the ids of the messages to retry (partial batch response; enable
// ReportBatchItemFailures on the event source); for a direct S3 event it returns
// an error when a record should be retried.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (*events.SQSEventResponse, error) {
	var env notification
	if err := json.Unmarshal(raw, &env); err != nil {
		h.logger().WarnContext(ctx, "reload: event is not JSON, ignored", "error", err.Error())
		return nil, nil
	}
	switch {
	case len(env.Records) > 0 && env.Records[0].EventSource == "aws:sqs":
		var e events.SQSEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			h.logger().WarnContext(ctx, "reload: malformed SQS event, ignored", "error", err.Error())
			return nil, nil
		}
		resp := h.HandleSQS(ctx, e)
		return &resp, nil
	case len(env.Records) > 0 && env.Records[0].EventSource == "aws:s3":
		return nil, h.HandleS3(ctx, env.s3Event())
	case env.Event == "s3:TestEvent":
		h.logger().InfoContext(ctx, "reload: S3 test event ignored")
	default:
		h.logger().WarnContext(ctx, "reload: unrecognised event ignored")
	}
	return nil, nil
}

// HandleS3 processes every ObjectCreated record; the error joins the transient
// failures.
func (h *Handler) HandleS3(ctx context.Context, e events.S3Event) error {
	var errs []error
	for _, rec := range e.Records {
		if !strings.HasPrefix(rec.EventName, "ObjectCreated:") {
			h.logger().InfoContext(ctx, "reload: event ignored", "event", rec.EventName, "key", rec.S3.Object.Key)
			continue
		}
		if _, err := h.Process(ctx, rec.S3.Bucket.Name, rec.S3.Object.Key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HandleSQS processes the S3 events inside each message and lists the messages
// with a transient failure for retry. Bodies that are not S3 events (including
// S3 test events) are logged and dropped.
func (h *Handler) HandleSQS(ctx context.Context, e events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, msg := range e.Records {
		var env notification
		if err := json.Unmarshal([]byte(msg.Body), &env); err != nil {
			h.logger().WarnContext(ctx, "reload: SQS message is not an S3 event, dropped", "message_id", msg.MessageId)
			continue
		}
		if env.Event == "s3:TestEvent" {
			h.logger().InfoContext(ctx, "reload: S3 test event ignored", "message_id", msg.MessageId)
			continue
		}
		if err := h.HandleS3(ctx, env.s3Event()); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	return resp
}
