package plumkeeper

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

const (
	encryptedEncoding = "binary/encrypted"
	jsonEncoding      = "json/plain"
	keyIDMetadata     = "encryption-key-id"
	sealedPrefix      = "sealed:v1:"
	ivBytes           = 12
	tagBytes          = 16
	maxWalkDepth      = 64
)

var tokenFields = map[string]bool{
	"accessToken": true, "refreshToken": true, "companyAccessToken": true, "access_token": true, "refresh_token": true,
}

// PayloadDecryptionError is a payload that claims to be encrypted but cannot be opened.
type PayloadDecryptionError struct{ Reason string }

func (e *PayloadDecryptionError) Error() string { return "payload cannot be decrypted: " + e.Reason }

// TokenUnsealError is a sealed token under a key id the token ring lacks (KeyID set), or one that fails authentication.
type TokenUnsealError struct {
	KeyID   string
	Message string
}

func (e *TokenUnsealError) Error() string { return e.Message }

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// AESSeal returns IV ‖ AES-256-GCM ciphertext ‖ tag. iv is for the conformance vectors only (nil: a random one).
func AESSeal(key, plain, iv []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if iv == nil {
		iv = make([]byte, ivBytes)
		if _, err := rand.Read(iv); err != nil {
			return nil, err
		}
	}
	return gcm.Seal(append([]byte(nil), iv...), iv, plain, nil), nil
}

// AESOpen opens AESSeal's output; an error when it is truncated or fails authentication.
func AESOpen(key, sealed []byte) ([]byte, error) {
	if len(sealed) < ivBytes+tagBytes {
		return nil, &PayloadDecryptionError{"truncated"}
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, sealed[:ivBytes], sealed[ivBytes:], nil)
	if err != nil {
		return nil, &PayloadDecryptionError{"authentication failed: tampered, or a different key with that id"}
	}
	return plain, nil
}

// TokenSealer seals and opens token values with the token ring.
type TokenSealer struct{ Ring *KeyRing }

// SealToken seals one token (iv nil: a random one); a sealed value stays as it is.
func (s TokenSealer) SealToken(token string, iv []byte) (string, error) {
	if strings.HasPrefix(token, sealedPrefix) {
		return token, nil
	}
	key, _ := s.Ring.Key(s.Ring.ActiveID)
	sealed, err := AESSeal(key, []byte(token), iv)
	if err != nil {
		return "", err
	}
	return sealedPrefix + s.Ring.ActiveID + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

// OpenToken opens a sealed token; other values pass as they are.
func (s TokenSealer) OpenToken(value string) (string, error) {
	if !strings.HasPrefix(value, sealedPrefix) {
		return value, nil
	}
	keyID, body, _ := strings.Cut(strings.TrimPrefix(value, sealedPrefix), ":")
	key, err := s.Ring.Key(keyID)
	if err != nil {
		return "", &TokenUnsealError{KeyID: truncate(keyID, 64), Message: fmt.Sprintf(
			"a token is sealed with key id %q, which is not in the token key ring (known: %s); add it to PLUM_TOKEN_KEYS (add new keys everywhere first, activate them second)",
			truncate(keyID, 64), strings.Join(s.Ring.IDs(), ", "))}
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err == nil {
		var plain []byte
		if plain, err = AESOpen(key, raw); err == nil {
			return string(plain), nil
		}
	}
	return "", &TokenUnsealError{Message: fmt.Sprintf("a token sealed with key id %q failed authentication", keyID)}
}

func mapTokens(value any, transform func(string) (string, error), depth int) (any, error) {
	switch v := value.(type) {
	case map[string]any:
		if depth >= maxWalkDepth {
			return nil, fmt.Errorf("the value is nested deeper than %d levels, which no keeper message is", maxWalkDepth)
		}
		out := make(map[string]any, len(v))
		for key, field := range v {
			if text, ok := field.(string); ok && tokenFields[key] {
				mapped, err := transform(text)
				if err != nil {
					return nil, err
				}
				out[key] = mapped
				continue
			}
			mapped, err := mapTokens(field, transform, depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = mapped
		}
		return out, nil
	case []any:
		if depth >= maxWalkDepth {
			return nil, fmt.Errorf("the value is nested deeper than %d levels, which no keeper message is", maxWalkDepth)
		}
		out := make([]any, len(v))
		for i, item := range v {
			mapped, err := mapTokens(item, transform, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = mapped
		}
		return out, nil
	}
	return value, nil
}

func mapJSON(payload *commonpb.Payload, transform func(string) (string, error)) (*commonpb.Payload, error) {
	if string(payload.GetMetadata()["encoding"]) != jsonEncoding || len(payload.GetData()) == 0 {
		return payload, nil
	}
	decoder := json.NewDecoder(bytes.NewReader(payload.GetData()))
	decoder.UseNumber()
	var value any
	if err := decoder.Decode(&value); err != nil {
		return nil, err
	}
	mapped, err := mapTokens(value, transform, 0)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(mapped)
	if err != nil {
		return nil, err
	}
	out := proto.Clone(payload).(*commonpb.Payload)
	out.Data = data
	return out, nil
}

// KeeperCodec encrypts every payload under the payload ring and, with the token ring, seals token fields before and
// opens them after. Without the token ring, tokens read back sealed (sealed:v1:…).
type KeeperCodec struct {
	PayloadRing *KeyRing
	TokenRing   *KeyRing
}

// Encrypt encrypts one payload under the active key (iv nil: a random one).
func (c KeeperCodec) Encrypt(payload *commonpb.Payload, iv []byte) (*commonpb.Payload, error) {
	inner, err := proto.Marshal(payload)
	if err != nil {
		return nil, err
	}
	key, _ := c.PayloadRing.Key(c.PayloadRing.ActiveID)
	sealed, err := AESSeal(key, inner, iv)
	if err != nil {
		return nil, err
	}
	return &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte(encryptedEncoding), keyIDMetadata: []byte(c.PayloadRing.ActiveID)},
		Data:     sealed,
	}, nil
}

// Decrypt opens one payload; a payload that is not encrypted passes as it is.
func (c KeeperCodec) Decrypt(payload *commonpb.Payload) (*commonpb.Payload, error) {
	if string(payload.GetMetadata()["encoding"]) != encryptedEncoding {
		return payload, nil
	}
	keyID := string(payload.GetMetadata()[keyIDMetadata])
	if keyID == "" {
		return nil, &PayloadDecryptionError{"encrypted payload without an encryption-key-id"}
	}
	key, err := c.PayloadRing.Key(keyID)
	if err != nil {
		return nil, err
	}
	plain, err := AESOpen(key, payload.GetData())
	if err != nil {
		return nil, err
	}
	inner := &commonpb.Payload{}
	if err := proto.Unmarshal(plain, inner); err != nil {
		return nil, &PayloadDecryptionError{"not a Payload"}
	}
	return inner, nil
}

// Encode implements converter.PayloadCodec.
func (c KeeperCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, payload := range payloads {
		var err error
		if c.TokenRing != nil {
			sealer := TokenSealer{c.TokenRing}
			if payload, err = mapJSON(payload, func(t string) (string, error) { return sealer.SealToken(t, nil) }); err != nil {
				return nil, err
			}
		}
		if out[i], err = c.Encrypt(payload, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec.
func (c KeeperCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, payload := range payloads {
		opened, err := c.Decrypt(payload)
		if err != nil {
			return nil, err
		}
		if c.TokenRing != nil {
			sealer := TokenSealer{c.TokenRing}
			if opened, err = mapJSON(opened, sealer.OpenToken); err != nil {
				return nil, err
			}
		}
		out[i] = opened
	}
	return out, nil
}

// IsSealed reports whether value is a sealed token rather than a token.
func IsSealed(value string) bool { return strings.HasPrefix(value, sealedPrefix) }
