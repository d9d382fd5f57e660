package plumkeeper

// AccessToken is the company's token as the keeper hands it out (times in epoch milliseconds).
type AccessToken struct {
	AccessToken   string `json:"accessToken"`
	ExpiresAt     int64  `json:"expiresAt"`
	Status        string `json:"status"`
	NextRefreshAt int64  `json:"nextRefreshAt,omitempty"`
}

// UserToken is a user-scoped token set.
type UserToken struct {
	Email       string `json:"email"`
	Scope       string `json:"scope"`
	AccessToken string `json:"accessToken"`
	ExpiresAt   int64  `json:"expiresAt"`
}

// RefreshedToken is what RefreshNow returns.
type RefreshedToken struct {
	AccessToken string `json:"accessToken"`
	ExpiresAt   int64  `json:"expiresAt"`
}

// AccessTokenAnswer is the accessToken query's answer: a token (OK) or why there is none.
type AccessTokenAnswer struct {
	OK            bool   `json:"ok"`
	AccessToken   string `json:"accessToken"`
	ExpiresAt     int64  `json:"expiresAt"`
	Status        string `json:"status"`
	NextRefreshAt int64  `json:"nextRefreshAt"`
	Why           string `json:"why"`
	Reason        string `json:"reason"`
	ExpiredAt     int64  `json:"expiredAt"`
	Message       string `json:"message"`
}

// TokenOrError is the token of an answer, or the typed error that says why there is none, at the clock now (epoch
// milliseconds): a token now sees as expired is refused; an ExpiresAt of 0 is an unknown expiry, never an expired token.
func TokenOrError(companyID string, answer AccessTokenAnswer, now int64) (AccessToken, error) {
	if answer.OK {
		if answer.ExpiresAt != 0 && answer.ExpiresAt <= now {
			return AccessToken{}, &TokenExpiredError{companyID, answer.ExpiresAt}
		}
		return AccessToken{answer.AccessToken, answer.ExpiresAt, answer.Status, answer.NextRefreshAt}, nil
	}
	switch answer.Why {
	case "RETIRED":
		return AccessToken{}, &NotEnrolledError{companyID}
	case "NEEDS_REAUTH":
		return AccessToken{}, &NeedsReauthError{companyID, answer.Reason}
	case "EXPIRED":
		return AccessToken{}, &TokenExpiredError{companyID, answer.ExpiredAt}
	}
	return AccessToken{}, &NoTokenYetError{companyID, answer.Status}
}

// CachedUntil is until when a cached token is handed out (docs/wire-protocol.md, client rule 1).
func CachedUntil(token AccessToken, now, margin int64) int64 {
	if token.Status != "ACTIVE" {
		return now + 1000
	}
	until := token.ExpiresAt
	if token.NextRefreshAt != 0 && token.NextRefreshAt < until {
		until = token.NextRefreshAt
	}
	until = min(until-margin, token.ExpiresAt-margin)
	return max(now+1000, until)
}
