package plumkeeper

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PlumAPI sends requests to Plum as a company: its token as the bearer, under BaseURL only; on a 401 about the token
// the cached token dropped, one RefreshNowSeen (with the expiry of the token that request carried) and one retry,
// returned as it is; a 401 whose body names another cause (an IP whitelist, a disabled account) returned at once; a
// 429 returned with its Retry-After, slept out and retried once only within MaxRetryAfter (docs/wire-protocol.md,
// client rule 5).
type PlumAPI struct {
	Keeper        *Client
	BaseURL       string
	MaxRetryAfter time.Duration
	HTTP          *http.Client
}

// RetryAfter is how long a response's Retry-After asks to wait (seconds or an HTTP date); false without one.
func RetryAfter(response *http.Response) (time.Duration, bool) {
	header := strings.TrimSpace(response.Header.Get("Retry-After"))
	if header == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(header); err == nil && seconds >= 0 {
		return time.Duration(seconds) * time.Second, true
	}
	if at, err := http.ParseTime(header); err == nil {
		return max(0, time.Until(at)), true
	}
	return 0, false
}

// Do sends method path (relative to BaseURL) with body as companyID and returns Plum's response, unread.
func (p *PlumAPI) Do(ctx context.Context, companyID, method, path string, body []byte, header http.Header) (*http.Response, error) {
	target, err := p.resolve(path)
	if err != nil {
		return nil, err
	}
	token, err := p.Keeper.GetAccessToken(ctx, companyID)
	if err != nil {
		return nil, err
	}
	response, err := p.send(ctx, method, target, body, header, token.AccessToken)
	if err != nil {
		return nil, err
	}
	if response.StatusCode == http.StatusUnauthorized && !UnauthorizedBeyondToken(response) {
		drain(response)
		p.Keeper.Invalidate(companyID)
		parsed, _ := url.Parse(target)
		fresh, err := p.Keeper.RefreshNowSeen(ctx, companyID, "Plum answered 401 to "+parsed.Path, token.ExpiresAt)
		if err != nil {
			return nil, err
		}
		if response, err = p.send(ctx, method, target, body, header, fresh.AccessToken); err != nil {
			return nil, err
		}
	}
	if response.StatusCode == http.StatusTooManyRequests {
		if wait, ok := RetryAfter(response); ok && wait <= p.MaxRetryAfter {
			drain(response)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			current, err := p.Keeper.GetAccessToken(ctx, companyID)
			if err != nil {
				return nil, err
			}
			return p.send(ctx, method, target, body, header, current.AccessToken)
		}
	}
	return response, nil
}

// resolve is path under BaseURL; a path that would reach another origin or leave the base's prefix is refused.
func (p *PlumAPI) resolve(path string) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(p.BaseURL, "/") + "/")
	if err != nil {
		return "", &InvalidInputError{"BaseURL", "is not a URL"}
	}
	target, err := base.Parse(strings.TrimLeft(path, "/"))
	if err != nil || target.Scheme != base.Scheme || target.Host != base.Host || !strings.HasPrefix(target.Path, base.Path) {
		return "", &InvalidInputError{"path", "leaves the Plum base URL: PlumAPI sends the company token only under it"}
	}
	return target.String(), nil
}

// UnauthorizedBeyondToken reports whether a 401's body names a cause other than the token: one of Plum's application
// errors (errorId, e.g. PIPE10017 IP not whitelisted) or an OAuth client error. The body stays readable.
func UnauthorizedBeyondToken(response *http.Response) bool {
	raw, err := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	_ = response.Body.Close()
	response.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	var body struct {
		ErrorID *string `json:"errorId"`
		Error   *string `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return false
	}
	return body.ErrorID != nil || (body.Error != nil && (*body.Error == "invalid_client" || *body.Error == "unauthorized_client"))
}

func (p *PlumAPI) send(ctx context.Context, method, target string, body []byte, header http.Header, token string) (*http.Response, error) {
	request, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for key, values := range header {
		request.Header[key] = values
	}
	request.Header.Set("Authorization", "Bearer "+token)
	httpClient := p.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	return httpClient.Do(request)
}

func drain(response *http.Response) {
	_, _ = io.Copy(io.Discard, response.Body)
	_ = response.Body.Close()
}
