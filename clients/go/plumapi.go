package plumkeeper

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PlumAPI sends requests to Plum as a company: its token as the bearer; on a 401 the cached token dropped, one
// RefreshNow (with the expiry this process saw) and one retry; a 429 returned with its Retry-After, slept out and
// retried once only within MaxRetryAfter.
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
	target, err := url.JoinPath(p.BaseURL, path)
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
	if response.StatusCode == http.StatusUnauthorized {
		drain(response)
		p.Keeper.Invalidate(companyID)
		parsed, _ := url.Parse(target)
		fresh, err := p.Keeper.RefreshNow(ctx, companyID, "Plum answered 401 to "+parsed.Path)
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
