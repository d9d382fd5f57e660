package plumkeeper

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type wire struct {
	Metadata map[string]string `json:"metadata"`
	Data     string            `json:"data"`
}

func (w wire) payload() *commonpb.Payload {
	metadata := map[string][]byte{}
	for k, v := range w.Metadata {
		metadata[k] = []byte(v)
	}
	data, _ := base64.StdEncoding.DecodeString(w.Data)
	return &commonpb.Payload{Metadata: metadata, Data: data}
}

func readVectors(t *testing.T, name string, into any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}

func vectorRings(t *testing.T) (*KeyRing, *KeyRing) {
	var file struct {
		Rings struct{ Payload, Token string } `json:"rings"`
	}
	readVectors(t, "payload-codec.json", &file)
	payload, err := ParseKeyRing(file.Rings.Payload, "", "PLUM_CODEC_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	token, err := ParseKeyRing(file.Rings.Token, "", "PLUM_TOKEN_KEYS")
	if err != nil {
		t.Fatal(err)
	}
	return payload, token
}

func jsonEqual(t *testing.T, name string, got []byte, want any) {
	t.Helper()
	var value, expected any
	if err := json.Unmarshal(got, &value); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	raw, _ := json.Marshal(want)
	_ = json.Unmarshal(raw, &expected)
	if !reflect.DeepEqual(value, expected) {
		t.Fatalf("%s: got %s, want %s", name, got, raw)
	}
}

func TestPayloadVectors(t *testing.T) {
	payloadRing, tokenRing := vectorRings(t)
	var file struct {
		Vectors []struct {
			Name        string                `json:"name"`
			KeyID       string                `json:"keyId"`
			IV          string                `json:"iv"`
			InnerProto  string                `json:"innerProtobuf"`
			Inner       struct{ Data string } `json:"inner"`
			Outer       wire                  `json:"outer"`
			AfterUnseal any                   `json:"afterUnseal"`
		} `json:"vectors"`
		MustFail []struct {
			Name  string `json:"name"`
			Outer wire   `json:"outer"`
			Error string `json:"error"`
		} `json:"mustFail"`
	}
	readVectors(t, "payload-codec.json", &file)
	for _, v := range file.Vectors {
		decoded, err := KeeperCodec{PayloadRing: payloadRing}.Decode([]*commonpb.Payload{v.Outer.payload()})
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		innerBytes, _ := base64.StdEncoding.DecodeString(v.InnerProto)
		want := &commonpb.Payload{}
		_ = proto.Unmarshal(innerBytes, want)
		if !proto.Equal(decoded[0], want) {
			t.Fatalf("%s: inner payload differs", v.Name)
		}
		opened, err := KeeperCodec{PayloadRing: payloadRing, TokenRing: tokenRing}.Decode([]*commonpb.Payload{v.Outer.payload()})
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		jsonEqual(t, v.Name, opened[0].Data, v.AfterUnseal)
		// Encrypting the inner payload with the vector's IV gives the vector's bytes.
		key, _ := payloadRing.Key(v.KeyID)
		iv, _ := hex.DecodeString(v.IV)
		sealed, _ := AESSeal(key, innerBytes, iv)
		if base64.StdEncoding.EncodeToString(sealed) != v.Outer.Data {
			t.Fatalf("%s: encryption differs", v.Name)
		}
	}
	for _, v := range file.MustFail {
		_, err := KeeperCodec{PayloadRing: payloadRing}.Decode([]*commonpb.Payload{v.Outer.payload()})
		var unknown *UnknownKeyIDError
		var decryption *PayloadDecryptionError
		if (v.Error == "unknown key id" && !errors.As(err, &unknown)) || (v.Error != "unknown key id" && !errors.As(err, &decryption)) {
			t.Fatalf("%s: got %v", v.Name, err)
		}
	}
}

func TestTokenSealVectors(t *testing.T) {
	_, tokenRing := vectorRings(t)
	var file struct {
		Vectors []struct {
			Token, IV, Sealed string
		} `json:"vectors"`
		MustFail []struct{ Sealed, Error string } `json:"mustFail"`
	}
	readVectors(t, "token-seal.json", &file)
	sealer := TokenSealer{tokenRing}
	for _, v := range file.Vectors {
		opened, err := sealer.OpenToken(v.Sealed)
		if err != nil || opened != v.Token {
			t.Fatalf("open: %v", err)
		}
		iv, _ := hex.DecodeString(v.IV)
		if sealed, _ := sealer.SealToken(v.Token, iv); sealed != v.Sealed {
			t.Fatalf("seal differs")
		}
	}
	for _, v := range file.MustFail {
		_, err := sealer.OpenToken(v.Sealed)
		var unseal *TokenUnsealError
		if !errors.As(err, &unseal) || (unseal.KeyID != "") != (v.Error == "unknown key id") {
			t.Fatalf("%s: got %v", v.Error, err)
		}
	}
}

// outcome is what the vectors expect: the token, or the error's name and fields.
func outcome(token any, err error) map[string]any {
	if err == nil {
		return map[string]any{"token": token}
	}
	out := map[string]any{}
	set := func(key string, value any) {
		if value != "" && value != int64(0) {
			out[key] = value
		}
	}
	switch e := err.(type) {
	case *NotEnrolledError:
		out["error"] = "NotEnrolledError"
	case *NeedsReauthError:
		out["error"] = "NeedsReauthError"
		set("reason", e.Reason)
	case *TokenExpiredError:
		out["error"] = "TokenExpiredError"
		set("expiredAt", e.ExpiredAt)
	case *NoTokenYetError:
		out["error"] = "NoTokenYetError"
		set("status", e.Status)
	case *RefreshFailedError:
		out["error"] = "RefreshFailedError"
		set("status", e.Status)
	case *InvalidInputError:
		out["error"] = "InvalidInputError"
		set("field", e.Field)
	case *StaleTokensError:
		out["error"] = "StaleTokensError"
	case *ReseedRefusedError:
		out["error"] = "ReseedRefusedError"
	case *UserTokenRejectedError:
		out["error"] = "UserTokenRejectedError"
		set("reason", e.Reason)
	default:
		out["error"] = err.Error()
	}
	return out
}

func sameAsExpected(t *testing.T, name string, got map[string]any, want any) {
	t.Helper()
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	var a, b any
	_ = json.Unmarshal(gotJSON, &a)
	_ = json.Unmarshal(wantJSON, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: got %s, want %s", name, gotJSON, wantJSON)
	}
}

func TestAccessTokenAnswerVectors(t *testing.T) {
	var file struct {
		Vectors []struct {
			Answer json.RawMessage `json:"answer"`
			Now    int64           `json:"now"`
			Expect any             `json:"expect"`
		} `json:"vectors"`
	}
	readVectors(t, "access-token-answers.json", &file)
	for _, v := range file.Vectors {
		var answer AccessTokenAnswer
		_ = json.NewDecoder(bytes.NewReader(v.Answer)).Decode(&answer)
		token, err := TokenOrError("acme", answer, v.Now)
		sameAsExpected(t, string(v.Answer), outcome(token, err), v.Expect)
	}
}

func TestFailureVectors(t *testing.T) {
	var file struct {
		Vectors []struct {
			Name    string `json:"name"`
			Failure struct {
				Type    string           `json:"type"`
				Details []map[string]any `json:"details"`
			} `json:"failure"`
			Expect any `json:"expect"`
		} `json:"vectors"`
	}
	readVectors(t, "failures.json", &file)
	for _, v := range file.Vectors {
		detail := map[string]any{}
		if len(v.Failure.Details) > 0 {
			detail = v.Failure.Details[0]
		}
		sameAsExpected(t, v.Name, outcome(nil, FailureError("acme", v.Failure.Type, detail, "a failure")), v.Expect)
	}
}

func TestRetryVectors(t *testing.T) {
	var file struct {
		DelaysMs []int64 `json:"delaysMs"`
		Vectors  []struct {
			Name             string `json:"name"`
			StatusDetailsBin string `json:"statusDetailsBin"`
			Expect           struct {
				SendAgain bool `json:"sendAgain"`
			} `json:"expect"`
		} `json:"vectors"`
	}
	readVectors(t, "retries.json", &file)
	if len(file.DelaysMs) != len(NotReadyRetryDelays) {
		t.Fatalf("delays %v, vectors say %v ms", NotReadyRetryDelays, file.DelaysMs)
	}
	for i, ms := range file.DelaysMs {
		if NotReadyRetryDelays[i] != time.Duration(ms)*time.Millisecond {
			t.Fatalf("delays %v, vectors say %v ms", NotReadyRetryDelays, file.DelaysMs)
		}
	}
	for _, v := range file.Vectors {
		raw, err := base64.StdEncoding.DecodeString(v.StatusDetailsBin)
		if err != nil {
			t.Fatal(err)
		}
		st := &spb.Status{}
		if err := proto.Unmarshal(raw, st); err != nil {
			t.Fatal(err)
		}
		// The error the Go SDK returns for this trailer, as it converts every gRPC status.
		err = serviceerror.FromStatus(status.FromProto(st))
		if got := IsWorkflowNotReady(err); got != v.Expect.SendAgain {
			t.Errorf("%s: sent again %v, want %v (%T)", v.Name, got, v.Expect.SendAgain, err)
		}
	}
}
