package plumkeeper

import (
	"encoding/json"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestClientRuleVectors: docs/vectors/client-rules.json, the rules the protocol's prose alone gave before: what a keeper
// of each protocol is sent (rule 6), which query refusal is a miss, the caches' bounds, the e-mail and company id
// checks, and the fixed hints of the typed errors.
func TestClientRuleVectors(t *testing.T) {
	var rules struct {
		FieldsByProtocol []struct {
			Message  string         `json:"message"`
			Protocol int            `json:"protocol"`
			Input    map[string]any `json:"input"`
			Send     map[string]any `json:"send"`
		} `json:"fieldsByProtocol"`
		QueryRefusals []struct {
			Query    string `json:"query"`
			GrpcCode int    `json:"grpcCode"`
			Miss     bool   `json:"miss"`
		} `json:"queryRefusals"`
		CacheLimits struct{ AccessTokens, UserTokens int } `json:"cacheLimits"`
		Emails      []struct {
			Email string `json:"email"`
			Valid bool   `json:"valid"`
		} `json:"emails"`
		CompanyIDs []struct {
			CompanyID string `json:"companyId"`
			Valid     bool   `json:"valid"`
		} `json:"companyIds"`
		Hints map[string]string `json:"hints"`
	}
	readVectors(t, "client-rules.json", &rules)
	for _, c := range rules.FieldsByProtocol {
		sent, _ := json.Marshal(FieldsFor(c.Message, c.Input, c.Protocol))
		jsonEqual(t, c.Message, sent, c.Send)
	}
	for _, c := range rules.QueryRefusals {
		if got := QueryRefusalIsMiss(c.Query, codes.Code(c.GrpcCode)); got != c.Miss {
			t.Errorf("%s refused with %d: miss %v, want %v", c.Query, c.GrpcCode, got, c.Miss)
		}
	}
	if CacheLimits != rules.CacheLimits {
		t.Errorf("cache limits %+v, want %+v", CacheLimits, rules.CacheLimits)
	}
	for _, c := range rules.Emails {
		if (checkEmail(c.Email) == nil) != c.Valid {
			t.Errorf("e-mail %.40q: accepted %v", c.Email, !c.Valid)
		}
	}
	for _, c := range rules.CompanyIDs {
		if (checkCompany(c.CompanyID) == nil) != c.Valid {
			t.Errorf("company id %.40q: accepted %v", c.CompanyID, !c.Valid)
		}
	}
	typed := map[string]Hinted{
		"NotEnrolledError":       &NotEnrolledError{},
		"TokenExpiredError":      &TokenExpiredError{},
		"NoTokenYetError":        &NoTokenYetError{},
		"StaleTokensError":       &StaleTokensError{},
		"RefreshFailedError":     &RefreshFailedError{},
		"InvalidInputError":      &InvalidInputError{},
		"UserTokenRejectedError": &UserTokenRejectedError{},
		"ReseedRefusedError":     &ReseedRefusedError{},
	}
	for name, hint := range rules.Hints {
		err, ok := typed[name]
		if !ok {
			t.Errorf("no Go error for %s", name)
			continue
		}
		if err.Hint() != hint {
			t.Errorf("%s hint %q, want %q", name, err.Hint(), hint)
		}
	}
}
