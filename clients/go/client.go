package plumkeeper

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/singleflight"
)

var companyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// WorkflowIDFor is the id of a company's keeper workflow.
func WorkflowIDFor(companyID string) string { return "plum-company:" + companyID }

// Options says where Temporal is and which key rings read the keeper's payloads.
type Options struct {
	HostPort  string
	Namespace string
	// KeyRing is the payload ring (PLUM_CODEC_KEYS); TokenKeyRing (PLUM_TOKEN_KEYS) opens tokens.
	KeyRing      *KeyRing
	TokenKeyRing *KeyRing
	TLS          *tls.Config
	APIKey       string
	// RefreshMargin: how long before the keeper's next refresh a cached token is dropped (default 5 s).
	RefreshMargin time.Duration
	// UserTokenTTL: how long a user token is served from this process (default 5 minutes).
	UserTokenTTL time.Duration
	// Interceptors go to the Temporal client (tests count queries with one).
	Interceptors []interceptor.ClientInterceptor
	// MaxCachedAccessTokens and MaxCachedUserTokens bound this process's caches (default 100,000 and 10,000).
	MaxCachedAccessTokens int
	MaxCachedUserTokens   int
}

type cached[T any] struct {
	value T
	until int64
}

// Client reads a company's Plum tokens from its keeper workflow; safe for concurrent use.
type Client struct {
	temporal     client.Client
	opensTokens  bool
	margin       int64
	userTTL      int64
	now          func() int64
	mu           sync.Mutex
	tokens       map[string]cached[AccessToken]
	userTokens   map[string]cached[UserToken]
	handed       map[string]int64
	maxTokens    int
	maxUsers     int
	tokenFlights singleflight.Group
	userFlights  singleflight.Group
}

// Dial connects to Temporal with the keeper's codec.
func Dial(ctx context.Context, options Options) (*Client, error) {
	if options.KeyRing == nil {
		return nil, &InvalidInputError{"KeyRing", "the payload ring (PLUM_CODEC_KEYS) is required"}
	}
	codec := KeeperCodec{PayloadRing: options.KeyRing, TokenRing: options.TokenKeyRing}
	dataConverter := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), codec)
	clientOptions := client.Options{
		HostPort:      options.HostPort,
		Namespace:     options.Namespace,
		DataConverter: dataConverter,
		// Failure messages travel encrypted in encoded attributes: decode them with the same converter.
		FailureConverter:  temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dataConverter, EncodeCommonAttributes: true}),
		ConnectionOptions: client.ConnectionOptions{TLS: options.TLS},
		Interceptors:      options.Interceptors,
	}
	if options.APIKey != "" {
		clientOptions.Credentials = client.NewAPIKeyStaticCredentials(options.APIKey)
	}
	if clientOptions.Namespace == "" {
		clientOptions.Namespace = "default"
	}
	temporalClient, err := client.DialContext(ctx, clientOptions)
	if err != nil {
		return nil, &TemporalUnavailableError{err}
	}
	margin, ttl := options.RefreshMargin, options.UserTokenTTL
	if margin == 0 {
		margin = 5 * time.Second
	}
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	maxTokens, maxUsers := options.MaxCachedAccessTokens, options.MaxCachedUserTokens
	if maxTokens <= 0 {
		maxTokens = CacheLimits.AccessTokens
	}
	if maxUsers <= 0 {
		maxUsers = CacheLimits.UserTokens
	}
	return &Client{
		temporal: temporalClient, opensTokens: options.TokenKeyRing != nil, maxTokens: maxTokens, maxUsers: maxUsers,
		margin: margin.Milliseconds(), userTTL: ttl.Milliseconds(),
		now:    func() int64 { return time.Now().UnixMilli() },
		tokens: map[string]cached[AccessToken]{}, userTokens: map[string]cached[UserToken]{}, handed: map[string]int64{},
	}, nil
}

// Close closes the Temporal connection.
func (c *Client) Close() { c.temporal.Close() }

func checkCompany(companyID string) error {
	if !companyIDPattern.MatchString(companyID) {
		return &InvalidInputError{"companyId", `must be 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"`}
	}
	return nil
}

// GetAccessToken returns the company's access token: from this process's cache until shortly before the keeper's next
// refresh; concurrent callers on a cold cache share one query.
func (c *Client) GetAccessToken(ctx context.Context, companyID string) (AccessToken, error) {
	c.mu.Lock()
	hit, ok := c.tokens[companyID]
	c.mu.Unlock()
	if ok && hit.until > c.now() {
		return hit.value, nil
	}
	if err := checkCompany(companyID); err != nil {
		return AccessToken{}, err
	}
	value, err, _ := c.tokenFlights.Do(companyID, func() (any, error) {
		encoded, err := c.query(ctx, companyID, "accessToken")
		if err != nil {
			return nil, c.failure(err, companyID)
		}
		var answer AccessTokenAnswer
		if err := encoded.Get(&answer); err != nil {
			return nil, err
		}
		token, err := TokenOrError(companyID, answer, c.now())
		if err != nil {
			return nil, err
		}
		if IsSealed(token.AccessToken) {
			return nil, &TokenKeyRingMissingError{companyID}
		}
		c.mu.Lock()
		evictOne(c.tokens, c.maxTokens, c.now())
		c.tokens[companyID] = cached[AccessToken]{token, CachedUntil(token, c.now(), c.margin)}
		for key := range c.handed {
			if len(c.handed) < c.maxTokens {
				break
			}
			delete(c.handed, key)
		}
		c.handed[companyID] = token.ExpiresAt
		c.mu.Unlock()
		return token, nil
	})
	if err != nil {
		return AccessToken{}, err
	}
	return value.(AccessToken), nil
}

// Invalidate drops the company's cached tokens, its user tokens too (call it after Plum answered 401).
func (c *Client) Invalidate(companyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, companyID)
	for key := range c.userTokens {
		if strings.HasPrefix(key, companyID+"|") {
			delete(c.userTokens, key)
		}
	}
}

// GetUserToken returns a user-scoped token: this process's cache, the keeper's cache, one exchange on a miss.
func (c *Client) GetUserToken(ctx context.Context, companyID, email, scope string) (UserToken, error) {
	if err := checkCompany(companyID); err != nil {
		return UserToken{}, err
	}
	if err := checkEmail(email); err != nil {
		return UserToken{}, err
	}
	request := map[string]string{"email": email}
	if scope != "" {
		request["scope"] = scope
	}
	key := companyID + "|" + strings.ToLower(email) + "|" + scope
	c.mu.Lock()
	hit, ok := c.userTokens[key]
	c.mu.Unlock()
	if ok && hit.until > c.now() {
		return hit.value, nil
	}
	value, err, _ := c.userFlights.Do(key, func() (any, error) {
		var token *UserToken
		encoded, err := c.query(ctx, companyID, "cachedUserToken", request)
		var refused *serviceerror.QueryFailed
		switch {
		case errors.As(err, &refused) && QueryRefusalIsMiss("cachedUserToken", refused.Status().Code()):
			// A keeper older than the query: a miss.
		case err != nil:
			return nil, c.failure(err, companyID)
		default:
			if err := encoded.Get(&token); err != nil {
				return nil, err
			}
		}
		if token == nil {
			token = &UserToken{}
			if err := c.update(ctx, companyID, "userToken", "user-token-", request, token); err != nil {
				return nil, c.failure(err, companyID)
			}
		}
		if IsSealed(token.AccessToken) {
			return nil, &TokenKeyRingMissingError{companyID}
		}
		c.mu.Lock()
		evictOne(c.userTokens, c.maxUsers, c.now())
		c.userTokens[key] = cached[UserToken]{*token, min(c.now()+c.userTTL, token.ExpiresAt-c.margin)}
		c.mu.Unlock()
		return *token, nil
	})
	if err != nil {
		return UserToken{}, err
	}
	return value.(UserToken), nil
}

// RefreshNow rotates now and returns the new token; a rotation another caller already made (the keeper holds a token
// newer than the one this process handed out) is returned, not repeated.
func (c *Client) RefreshNow(ctx context.Context, companyID, reason string) (RefreshedToken, error) {
	return c.RefreshNowSeen(ctx, companyID, reason, 0)
}

// RefreshNowSeen is RefreshNow for a caller that found the token expiring at seenExpiresAt wanting (a 401): a newer
// token the keeper already holds is returned, not rotated again. 0: the expiry this process last handed out.
func (c *Client) RefreshNowSeen(ctx context.Context, companyID, reason string, seenExpiresAt int64) (RefreshedToken, error) {
	if err := checkCompany(companyID); err != nil {
		return RefreshedToken{}, err
	}
	if seenExpiresAt < 0 {
		return RefreshedToken{}, &InvalidInputError{"seenExpiresAt", "must be an epoch in milliseconds"}
	}
	if !c.opensTokens {
		return RefreshedToken{}, &TokenKeyRingMissingError{companyID}
	}
	input := map[string]any{}
	if reason != "" {
		input["reason"] = reason
	}
	c.mu.Lock()
	if seen, ok := c.handed[companyID]; ok && seenExpiresAt == 0 {
		input["seenExpiresAt"] = seen
	} else if seenExpiresAt != 0 {
		input["seenExpiresAt"] = seenExpiresAt
	}
	delete(c.tokens, companyID)
	c.mu.Unlock()
	var result RefreshedToken
	err := c.update(ctx, companyID, "refreshNow", "", input, &result)
	if accepted := c.acceptedInput(ctx, companyID, err, input); accepted != nil {
		// Rule 6: an older keeper refused a field it does not know; what it accepts goes again.
		err = c.update(ctx, companyID, "refreshNow", "", accepted, &result)
	}
	if err != nil {
		return RefreshedToken{}, c.failure(err, companyID)
	}
	c.mu.Lock()
	delete(c.tokens, companyID)
	c.handed[companyID] = result.ExpiresAt
	c.mu.Unlock()
	if IsSealed(result.AccessToken) {
		return RefreshedToken{}, &TokenKeyRingMissingError{companyID}
	}
	return result, nil
}

// acceptedInput: when the keeper refused input (InvalidInputError) and its protocol lacks one of the fields sent,
// the fields it accepts (docs/wire-protocol.md, client rule 6); else nil. A keeper that does not know keeperVersion
// is protocol 0.
func (c *Client) acceptedInput(ctx context.Context, companyID string, err error, input map[string]any) map[string]any {
	var invalid *InvalidInputError
	if err == nil || !errors.As(translate(err, companyID), &invalid) {
		return nil
	}
	var version struct {
		Protocol int `json:"protocol"`
	}
	if encoded, queryErr := c.query(ctx, companyID, "keeperVersion"); queryErr == nil && encoded.Get(&version) != nil {
		version.Protocol = 0
	}
	accepted := FieldsFor("refreshNow", input, version.Protocol)
	if len(accepted) == len(input) {
		return nil
	}
	return accepted
}

func (c *Client) Status(ctx context.Context, companyID string) (map[string]any, error) {
	if err := checkCompany(companyID); err != nil {
		return nil, err
	}
	encoded, err := c.query(ctx, companyID, "status")
	if err != nil {
		return nil, c.failure(err, companyID)
	}
	var status map[string]any
	if err := encoded.Get(&status); err != nil {
		return nil, fmt.Errorf("status of %s: %w", companyID, err)
	}
	return status, nil
}

// query asks the company's keeper, again while it cannot take the query yet.
func (c *Client) query(ctx context.Context, companyID, name string, args ...any) (converter.EncodedValue, error) {
	return retryWhileNotReady(ctx, func() (converter.EncodedValue, error) {
		return c.temporal.QueryWorkflow(ctx, WorkflowIDFor(companyID), "", name, args...)
	})
}

// update sends an update and waits for its result into result, again (under a new id, prefixed with idPrefix when
// set) while the keeper cannot take it yet: an attempt refused so had no effect.
func (c *Client) update(ctx context.Context, companyID, name, idPrefix string, arg, result any) error {
	_, err := retryWhileNotReady(ctx, func() (struct{}, error) {
		updateID := ""
		if idPrefix != "" {
			updateID = idPrefix + uuid.NewString()
		}
		handle, err := c.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: WorkflowIDFor(companyID), UpdateName: name, UpdateID: updateID,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = handle.Get(ctx, result)
		}
		return struct{}{}, err
	})
	return err
}
