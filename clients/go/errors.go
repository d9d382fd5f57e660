package plumkeeper

import (
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Hinted is every typed error of this package: Hint says what to do next (the same words as the TypeScript and
// Python clients where the hint names no language's own API; docs/vectors/client-rules.json).
type Hinted interface {
	error
	Hint() string
}

// NotEnrolledError: no running keeper for the company (never enrolled, or retired).
type NotEnrolledError struct{ CompanyID string }

func (e *NotEnrolledError) Error() string {
	return fmt.Sprintf("company %s is not enrolled (no running keeper workflow)", e.CompanyID)
}

// NeedsReauthError: Plum refused the company's tokens for good; Reason names why.
type NeedsReauthError struct{ CompanyID, Reason string }

func (e *NeedsReauthError) Error() string {
	return fmt.Sprintf("company %s needs re-authorisation (%s)", e.CompanyID, orUnknown(e.Reason))
}

// TokenExpiredError: the keeper holds only an expired token (ExpiredAt in epoch ms, 0 when unknown).
type TokenExpiredError struct {
	CompanyID string
	ExpiredAt int64
}

func (e *TokenExpiredError) Error() string {
	return fmt.Sprintf("the access token of company %s has expired", e.CompanyID)
}

// NoTokenYetError: the keeper has no token yet (Status says where it is).
type NoTokenYetError struct{ CompanyID, Status string }

func (e *NoTokenYetError) Error() string {
	return fmt.Sprintf("company %s has no access token yet (status %s)", e.CompanyID, e.Status)
}

// RefreshFailedError: a rotation failed and the keeper retries (Status: its state now).
type RefreshFailedError struct{ CompanyID, Status, Message string }

func (e *RefreshFailedError) Error() string {
	return fmt.Sprintf("company %s: %s", e.CompanyID, e.Message)
}

// UserTokenRejectedError: Plum refused a user-token exchange; Reason is Plum's (e.g. USER_NOT_FOUND).
type UserTokenRejectedError struct{ CompanyID, Reason, Message string }

func (e *UserTokenRejectedError) Error() string {
	return fmt.Sprintf("company %s: %s", e.CompanyID, e.Message)
}

// StaleTokensError: an enrol or reseed with a set the keeper already rotated.
type StaleTokensError struct{ CompanyID, Message string }

func (e *StaleTokensError) Error() string {
	return fmt.Sprintf("company %s: %s", e.CompanyID, e.Message)
}

// ReseedRefusedError: Plum refused a reseeded set; the previous one is held again.
type ReseedRefusedError struct{ CompanyID, Message string }

func (e *ReseedRefusedError) Error() string { return e.Message }

// InvalidInputError: an argument the keeper (or this client) refuses; Field names it.
type InvalidInputError struct{ Field, Problem string }

func (e *InvalidInputError) Error() string { return e.Field + ": " + e.Problem }

// TemporalUnavailableError: Temporal could not be reached, or refused this client's credentials.
type TemporalUnavailableError struct{ Cause error }

func (e *TemporalUnavailableError) Error() string {
	return "Temporal is unavailable: " + e.Cause.Error()
}
func (e *TemporalUnavailableError) Unwrap() error { return e.Cause }

// TokenKeyRingMissingError: the token arrived sealed and this client holds no token ring to open it.
type TokenKeyRingMissingError struct{ CompanyID string }

func (e *TokenKeyRingMissingError) Error() string {
	return fmt.Sprintf("the token of company %s arrived sealed and this client has no token key ring to open it", e.CompanyID)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown reason"
	}
	return s
}

// FailureError is the typed error for an update failure of failureType whose first detail is detail.
func FailureError(companyID, failureType string, detail map[string]any, message string) error {
	text := func(key string) string { s, _ := detail[key].(string); return s }
	switch failureType {
	case "NeedsReauthError":
		return &NeedsReauthError{companyID, text("reason")}
	case "RefreshFailedError":
		if text("status") == "NEEDS_REAUTH" {
			return &NeedsReauthError{companyID, text("reason")}
		}
		return &RefreshFailedError{companyID, text("status"), message}
	case "RetiredError":
		return &NotEnrolledError{companyID}
	case "InvalidInputError":
		field := text("field")
		if field == "" {
			field = "input"
		}
		return &InvalidInputError{field, message}
	case "StaleTokensError":
		return &StaleTokensError{companyID, message}
	case "ReseedRefusedError":
		return &ReseedRefusedError{companyID, message}
	case "UserTokenFailedError":
		return &UserTokenRejectedError{companyID, text("reason"), message}
	case "NoValidTokenError":
		return &TokenExpiredError{CompanyID: companyID}
	}
	return nil
}

// translate turns a Temporal SDK error into this package's typed errors, by failure type and gRPC status.
func translate(err error, companyID string) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		detail := map[string]any{}
		if appErr.HasDetails() {
			_ = appErr.Details(&detail)
		}
		if typed := FailureError(companyID, appErr.Type(), detail, appErr.Message()); typed != nil {
			return typed
		}
		return err
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return &NotEnrolledError{companyID}
	}
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	var denied *serviceerror.PermissionDenied
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &denied) {
		return &TemporalUnavailableError{err}
	}
	var withStatus interface{ GRPCStatus() *status.Status }
	if errors.As(err, &withStatus) && withStatus.GRPCStatus().Code() == codes.Unauthenticated {
		return &TemporalUnavailableError{err}
	}
	return err
}

// Hint says what to do next.
func (e *NotEnrolledError) Hint() string {
	return "enrol the company first (plum-keeper enrol <companyId> --tokens-file …)"
}

// Hint says what to do next.
func (e *NeedsReauthError) Hint() string {
	return "plum-keeper status <companyId> prints the cure for the reason (README: Reasons and cures)"
}

// Hint says what to do next.
func (e *TokenExpiredError) Hint() string {
	return "check the keeper status (lastError) and Plum’s availability; it retries on its own"
}

// Hint says what to do next.
func (e *NoTokenYetError) Hint() string {
	return "wait for the first refresh (plum-keeper status <companyId> shows its progress)"
}

// Hint says what to do next.
func (e *RefreshFailedError) Hint() string {
	return "plum-keeper status <companyId> shows the last error and when the keeper retries"
}

// Hint says what to do next.
func (e *UserTokenRejectedError) Hint() string {
	return "check the e-mail is a Super Admin of this company in the Plum dashboard, and that the user is enabled"
}

// Hint says what to do next.
func (e *StaleTokensError) Hint() string {
	return "use the newest token set, or generate new tokens in the Plum dashboard (Settings → API)"
}

// Hint says what to do next.
func (e *ReseedRefusedError) Hint() string {
	return "check that the file holds the newest set for this company (Plum dashboard), then plum-keeper reseed <companyId> --tokens-file FILE again"
}

// Hint says what to do next.
func (e *InvalidInputError) Hint() string { return "fix the named field and try again" }

// Hint says what to do next.
func (e *TemporalUnavailableError) Hint() string {
	return "check TEMPORAL_ADDRESS and that the Temporal server (or npm start) is running"
}

// Hint says what to do next.
func (e *TokenKeyRingMissingError) Hint() string {
	return "give the client the token key ring: PLUM_TOKEN_KEYS (Options.TokenKeyRing in Dial)"
}
