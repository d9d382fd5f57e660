package plumkeeper

import (
	"context"
	"errors"
	"regexp"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
)

// NoWorkerError: Temporal answered, but no worker took the keeper's query or update: none polls its task queue, or
// none of the build it is pinned to. The token set is safe; nothing reads or rotates it until such a worker runs.
type NoWorkerError struct {
	CompanyID string
	// Build is the build the keeper is pinned to, when it is.
	Build string
	Cause error
}

func (e *NoWorkerError) Error() string {
	pinned := ""
	if e.Build != "" {
		pinned = ": its keeper is pinned to build " + e.Build
	}
	return "no worker answered for company " + e.CompanyID + pinned + "; Temporal itself answers"
}

func (e *NoWorkerError) Unwrap() error { return e.Cause }

// Hint says what to do next.
func (e *NoWorkerError) Hint() string {
	if e.Build != "" {
		return "start workers of build " + e.Build + ", or make a polled build current and run plum-keeper upgrade"
	}
	return "start the keeper workers (npm start, or the worker deployment); plum-keeper doctor shows who polls"
}

// unanswered: a query or update that ran out of time, or that the server refused for want of a poller.
func unanswered(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var precondition *serviceerror.FailedPrecondition
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) ||
		(errors.As(err, &precondition) && !IsWorkflowNotReady(err))
}

// failure is the library's error for a failed call: a call no one answered, on a keeper that runs while Temporal
// answers, is a NoWorkerError (docs/wire-protocol.md, client rule 8), not Temporal being unavailable.
func (c *Client) failure(err error, companyID string) error {
	if !unanswered(err) {
		return translate(err, companyID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	description, describeErr := c.temporal.DescribeWorkflowExecution(ctx, WorkflowIDFor(companyID), "")
	if describeErr != nil {
		return translate(err, companyID)
	}
	info := description.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return translate(err, companyID)
	}
	return &NoWorkerError{companyID, info.GetVersioningInfo().GetDeploymentVersion().GetBuildId(), err}
}

// The e-mail rule of the keeper's userToken input (docs/wire-protocol.md): at most 320 printable ASCII characters,
// something@something.something.
var (
	emailASCII = regexp.MustCompile(`^[\x21-\x7e]+$`)
	emailShape = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
)

func checkEmail(email string) error {
	switch {
	case len(email) > 320:
		return &InvalidInputError{"email", "must be at most 320 characters"}
	case !emailASCII.MatchString(email):
		return &InvalidInputError{"email", "must be ASCII (Plum refuses internationalised addresses)"}
	case !emailShape.MatchString(email):
		return &InvalidInputError{"email", "must be an e-mail address"}
	}
	return nil
}

// evictOne makes room in a cache at its bound: an expired entry if there is one, else any entry.
func evictOne[T any](cache map[string]cached[T], bound int, now int64) {
	if len(cache) < bound {
		return
	}
	victim := ""
	for key, entry := range cache {
		victim = key
		if entry.until <= now {
			break
		}
	}
	delete(cache, victim)
}
