package plumkeeper

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
)

// NotReadyRetryDelays are the pauses before each further attempt of a call the keeper could not take yet: four
// attempts within about 1.5 s (docs/vectors/retries.json).
var NotReadyRetryDelays = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 900 * time.Millisecond}

// IsWorkflowNotReady reports whether Temporal refused a call with WorkflowNotReady: the keeper could not take it yet
// (the task that carried an update was refused, as when a message arrives while the keeper continues as new, or its
// first task has not run). Such a call had no effect, so sending it again is safe.
// A query answered by the run that had just continued as new (QueryFailed naming [TMPRL1100] and ContinuedAsNew)
// had no effect either: sent again, it reaches the new run.
func IsWorkflowNotReady(err error) bool {
	var notReady *serviceerror.WorkflowNotReady
	if errors.As(err, &notReady) {
		return true
	}
	var queryFailed *serviceerror.QueryFailed
	return errors.As(err, &queryFailed) &&
		strings.Contains(queryFailed.Message, "[TMPRL1100]") && strings.Contains(queryFailed.Message, "ContinuedAsNew")
}

// retryWhileNotReady runs send, and again after a pause each time Temporal answers WorkflowNotReady.
func retryWhileNotReady[T any](ctx context.Context, send func() (T, error)) (T, error) {
	for _, delay := range NotReadyRetryDelays {
		value, err := send()
		if err == nil || !IsWorkflowNotReady(err) {
			return value, err
		}
		select {
		case <-ctx.Done():
			return value, ctx.Err()
		case <-time.After(delay):
		}
	}
	return send()
}
