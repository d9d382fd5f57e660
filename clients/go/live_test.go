package plumkeeper

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
)

// Run by test/client/go-client.test.ts in npm test, which starts the Temporal server, a keeper worker and the Plum
// sandbox, enrols a company and passes them here through the environment.
func liveEnv(t *testing.T) map[string]string {
	t.Helper()
	if os.Getenv("PLUM_TEST_TEMPORAL_ADDRESS") == "" {
		t.Skip("needs a running keeper: npm test runs this through test/client/go-client.test.ts")
	}
	env := map[string]string{}
	for _, name := range []string{"PLUM_TEST_TEMPORAL_ADDRESS", "PLUM_TEST_NAMESPACE", "PLUM_TEST_COMPANY", "PLUM_TEST_ADMIN_EMAIL", "PLUM_TEST_SANDBOX_URL", "PLUM_TEST_TOKEN_DIGEST", "PLUM_TEST_ORPHAN_COMPANY", "PLUM_CODEC_KEYS", "PLUM_TOKEN_KEYS"} {
		env[name] = os.Getenv(name)
	}
	return env
}

type countingQueries struct {
	interceptor.ClientInterceptorBase
	count atomic.Int32
}

type countingOutbound struct {
	interceptor.ClientOutboundInterceptorBase
	parent *countingQueries
}

func (c *countingQueries) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &countingOutbound{interceptor.ClientOutboundInterceptorBase{Next: next}, c}
}

func (o *countingOutbound) QueryWorkflow(ctx context.Context, in *interceptor.ClientQueryWorkflowInput) (converter.EncodedValue, error) {
	if in.QueryType == "accessToken" {
		o.parent.count.Add(1)
	}
	return o.Next.QueryWorkflow(ctx, in)
}

func dial(t *testing.T, env map[string]string, withTokenRing bool, interceptors ...interceptor.ClientInterceptor) *Client {
	t.Helper()
	payloadRing, err := ParseKeyRing(env["PLUM_CODEC_KEYS"], "", "PLUM_CODEC_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	options := Options{HostPort: env["PLUM_TEST_TEMPORAL_ADDRESS"], Namespace: env["PLUM_TEST_NAMESPACE"], KeyRing: payloadRing, Interceptors: interceptors}
	if withTokenRing {
		if options.TokenKeyRing, err = ParseKeyRing(env["PLUM_TOKEN_KEYS"], "", "PLUM_TOKEN_KEYS"); err != nil {
			t.Fatal(err)
		}
	}
	keeper, err := Dial(context.Background(), options)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(keeper.Close)
	return keeper
}

func TestLiveReadsTheTokenOnceForFiftyCallers(t *testing.T) {
	env := liveEnv(t)
	counting := &countingQueries{}
	keeper := dial(t, env, true, counting)
	ctx := context.Background()
	var wg sync.WaitGroup
	tokens := make([]AccessToken, 50)
	for i := range tokens {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			token, err := keeper.GetAccessToken(ctx, env["PLUM_TEST_COMPANY"])
			if err != nil {
				t.Error(err)
			}
			tokens[i] = token
		}(i)
	}
	wg.Wait()
	if n := counting.count.Load(); n != 1 {
		t.Fatalf("fifty callers sent %d queries, want 1", n)
	}
	digest := sha256.Sum256([]byte(tokens[0].AccessToken))
	if hex.EncodeToString(digest[:]) != env["PLUM_TEST_TOKEN_DIGEST"] {
		t.Fatal("a different token than the TypeScript client read")
	}
	_, _ = keeper.GetAccessToken(ctx, env["PLUM_TEST_COMPANY"])
	if counting.count.Load() != 1 {
		t.Fatal("not served from the cache")
	}
	keeper.Invalidate(env["PLUM_TEST_COMPANY"])
	_, _ = keeper.GetAccessToken(ctx, env["PLUM_TEST_COMPANY"])
	if counting.count.Load() != 2 {
		t.Fatal("invalidate did not drop the cached token")
	}
}

func TestLiveTypedErrors(t *testing.T) {
	env := liveEnv(t)
	ctx := context.Background()
	keeper := dial(t, env, true)
	var notEnrolled *NotEnrolledError
	if _, err := keeper.GetAccessToken(ctx, "never-enrolled-company"); !errors.As(err, &notEnrolled) {
		t.Fatalf("got %v, want NotEnrolledError", err)
	}
	var invalid *InvalidInputError
	if _, err := keeper.GetAccessToken(ctx, "not a company id"); !errors.As(err, &invalid) || invalid.Field != "companyId" {
		t.Fatalf("got %v, want InvalidInputError(companyId)", err)
	}
	var missing *TokenKeyRingMissingError
	if _, err := dial(t, env, false).GetAccessToken(ctx, env["PLUM_TEST_COMPANY"]); !errors.As(err, &missing) {
		t.Fatalf("got %v, want TokenKeyRingMissingError", err)
	}
	var rejected *UserTokenRejectedError
	if _, err := keeper.GetUserToken(ctx, env["PLUM_TEST_COMPANY"], "nobody@nowhere.example", ""); !errors.As(err, &rejected) || rejected.Reason == "" {
		t.Fatalf("got %v, want UserTokenRejectedError with Plum's reason", err)
	}
}

func TestLiveCompanyStateErrorsAndUnknownKey(t *testing.T) {
	env := liveEnv(t)
	ctx := context.Background()
	keeper := dial(t, env, true)
	var reauth *NeedsReauthError
	if _, err := keeper.GetAccessToken(ctx, os.Getenv("PLUM_TEST_REAUTH_COMPANY")); !errors.As(err, &reauth) || reauth.Reason != os.Getenv("PLUM_TEST_REAUTH_REASON") {
		t.Fatalf("got %v, want NeedsReauthError(%s)", err, os.Getenv("PLUM_TEST_REAUTH_REASON"))
	}
	var expired *TokenExpiredError
	if _, err := keeper.GetAccessToken(ctx, os.Getenv("PLUM_TEST_EXPIRED_COMPANY")); !errors.As(err, &expired) {
		t.Fatalf("got %v, want TokenExpiredError", err)
	}
	otherRing, err := ParseKeyRing(os.Getenv("PLUM_TEST_OTHER_CODEC_KEYS"), "", "PLUM_CODEC_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := Dial(ctx, Options{HostPort: env["PLUM_TEST_TEMPORAL_ADDRESS"], Namespace: env["PLUM_TEST_NAMESPACE"], KeyRing: otherRing})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	var unknown *UnknownKeyIDError
	if _, err := stranger.GetAccessToken(ctx, env["PLUM_TEST_COMPANY"]); !errors.As(err, &unknown) || unknown.KeyID != "test-a" {
		t.Fatalf("got %v, want UnknownKeyIDError(test-a)", err)
	}
}

func TestLiveUserTokenMissThenHit(t *testing.T) {
	env := liveEnv(t)
	ctx := context.Background()
	keeper := dial(t, env, true)
	company, admin := env["PLUM_TEST_COMPANY"], env["PLUM_TEST_ADMIN_EMAIL"]
	user, err := keeper.GetUserToken(ctx, company, admin, "")
	if err != nil || user.Email != admin || IsSealed(user.AccessToken) {
		t.Fatalf("user token: %v", err)
	}
	again, _ := keeper.GetUserToken(ctx, company, admin, "")
	fresh, _ := dial(t, env, true).GetUserToken(ctx, company, admin, "")
	if again.AccessToken != user.AccessToken || fresh.AccessToken != user.AccessToken {
		t.Fatal("a cache hit (this process's, then the keeper's) exchanged again")
	}
	if status, err := keeper.Status(ctx, company); err != nil || status["status"] != "ACTIVE" {
		t.Fatalf("status: %v %v", status, err)
	}
}

func TestLiveRefreshNowByTwoCallersAtOnceMakesOneRotation(t *testing.T) {
	env := liveEnv(t)
	ctx := context.Background()
	keeper, other := dial(t, env, true), dial(t, env, true)
	company := env["PLUM_TEST_COMPANY"]
	before, _ := keeper.GetAccessToken(ctx, company)
	_, _ = other.GetAccessToken(ctx, company)
	status, _ := keeper.Status(ctx, company)
	generation := status["generation"].(float64)
	results := make([]RefreshedToken, 2)
	var wg sync.WaitGroup
	for i, c := range []*Client{keeper, other} {
		wg.Add(1)
		go func(i int, c *Client) {
			defer wg.Done()
			var err error
			if results[i], err = c.RefreshNow(ctx, company, "go client test, at once"); err != nil {
				t.Error(err)
			}
		}(i, c)
	}
	wg.Wait()
	if results[0].AccessToken != results[1].AccessToken || results[0].AccessToken == before.AccessToken {
		t.Fatal("the two callers got different tokens, or none new")
	}
	if status, _ = keeper.Status(ctx, company); status["generation"].(float64) != generation+1 {
		t.Fatalf("generation %v, want %v: one rotation for both", status["generation"], generation+1)
	}
	if read, _ := keeper.GetAccessToken(ctx, company); read.AccessToken != results[0].AccessToken {
		t.Fatal("the read after the rotation did not return the new token")
	}
}

func sandboxFault(t *testing.T, env map[string]string, fault string) {
	t.Helper()
	origin := env["PLUM_TEST_SANDBOX_URL"][:strings.Index(env["PLUM_TEST_SANDBOX_URL"][len("http://"):], "/")+len("http://")]
	response, err := http.Post(origin+"/__sandbox/faults", "application/json", strings.NewReader(`{"endpoint":"api","fault":`+fault+`}`))
	if err != nil || response.StatusCode != 200 {
		t.Fatalf("injecting a fault: %v", err)
	}
	_ = response.Body.Close()
}

// plumAPIOf is the live environment, a client with the token ring, and a PlumAPI on the sandbox.
func plumAPIOf(t *testing.T) (map[string]string, *Client, *PlumAPI) {
	env := liveEnv(t)
	keeper := dial(t, env, true)
	return env, keeper, &PlumAPI{Keeper: keeper, BaseURL: env["PLUM_TEST_SANDBOX_URL"]}
}

func TestLivePlumAPI(t *testing.T) {
	env, keeper, api := plumAPIOf(t)
	ctx, company := context.Background(), env["PLUM_TEST_COMPANY"]
	body := []byte(`{"query":"plumProAPI.mutation.getBalance","variables":{"data":{}}}`)
	header := http.Header{"Content-Type": {"application/json"}}
	response, err := api.Do(ctx, company, http.MethodPost, "/v1/oauth/api", body, header)
	if err != nil || response.StatusCode != 200 {
		t.Fatalf("first call: %v", err)
	}
	drain(response)
	status, _ := keeper.Status(ctx, company)
	generation := status["generation"].(float64)
	sandboxFault(t, env, `{"kind":"oauth","error":"invalid_token","status":401}`)
	if response, err = api.Do(ctx, company, http.MethodPost, "/v1/oauth/api", bytes.Clone(body), header); err != nil || response.StatusCode != 200 {
		t.Fatalf("after a 401: %v", err)
	}
	drain(response)
	if status, _ = keeper.Status(ctx, company); status["generation"].(float64) != generation+1 {
		t.Fatal("a 401 did not cost exactly one rotation")
	}
	sandboxFault(t, env, `{"kind":"rateLimit","retryAfterSeconds":7}`)
	response, err = api.Do(ctx, company, http.MethodPost, "/v1/oauth/api", body, header)
	if err != nil || response.StatusCode != 429 {
		t.Fatalf("a 429: %v", err)
	}
	if wait, ok := RetryAfter(response); !ok || wait != 7*time.Second {
		t.Fatalf("Retry-After %v", wait)
	}
	drain(response)
}

func TestLivePlumAPINeverRotatesForA401AboutSomethingElse(t *testing.T) {
	env, keeper, api := plumAPIOf(t)
	ctx, company := context.Background(), env["PLUM_TEST_COMPANY"]
	body := []byte(`{"query":"plumProAPI.mutation.getBalance","variables":{"data":{}}}`)
	header := http.Header{"Content-Type": {"application/json"}}
	status, _ := keeper.Status(ctx, company)
	generation := status["generation"].(float64)
	sandboxFault(t, env, `{"kind":"application","errorId":"PIPE10017","status":401,"times":5}`)
	for i := 0; i < 5; i++ {
		response, err := api.Do(ctx, company, http.MethodPost, "/v1/oauth/api", bytes.Clone(body), header)
		if err != nil || response.StatusCode != 401 {
			t.Fatalf("an IP whitelist 401: %v", err)
		}
		if raw, _ := io.ReadAll(response.Body); !strings.Contains(string(raw), "PIPE10017") {
			t.Fatal("the 401's body did not reach the caller")
		}
	}
	if status, _ = keeper.Status(ctx, company); status["generation"].(float64) != generation {
		t.Fatal("a 401 about the IP whitelist rotated the token")
	}
	for _, path := range []string{"https://evil.example/x", "../../outside"} {
		var invalid *InvalidInputError
		if _, err := api.Do(ctx, company, http.MethodGet, path, nil, nil); !errors.As(err, &invalid) {
			t.Fatalf("%s: got %v, want InvalidInputError", path, err)
		}
	}
}

func TestLiveNoWorkerIsNamed(t *testing.T) {
	env := liveEnv(t)
	keeper := dial(t, env, true)
	var noWorker *NoWorkerError
	if _, err := keeper.Status(context.Background(), env["PLUM_TEST_ORPHAN_COMPANY"]); !errors.As(err, &noWorker) {
		t.Fatalf("got %v, want NoWorkerError", err)
	}
	if !strings.Contains(noWorker.Hint(), "start the keeper workers") {
		t.Fatalf("hint %q", noWorker.Hint())
	}
}

func TestEmailIsCheckedAsTheKeeperChecksIt(t *testing.T) {
	for email, ok := range map[string]bool{"a@b.test": true, "a@b": false, "@b.test": false, "a b@c.test": false, "ü@b.test": false} {
		if (checkEmail(email) == nil) != ok {
			t.Errorf("%q: accepted %v", email, !ok)
		}
	}
}

func TestCachesAreBounded(t *testing.T) {
	cache := map[string]cached[int]{}
	for i := 0; i < 10; i++ {
		evictOne(cache, 3, 100)
		cache[string(rune('a'+i))] = cached[int]{i, 200}
	}
	if len(cache) != 3 {
		t.Fatalf("%d entries, want 3", len(cache))
	}
	cache["old"] = cached[int]{0, 50}
	evictOne(cache, 4, 100)
	if _, ok := cache["old"]; ok || len(cache) != 3 {
		t.Fatal("the expired entry was not the one dropped")
	}
}
