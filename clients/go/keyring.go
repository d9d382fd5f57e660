// Package plumkeeper reads Xoxoday Plum tokens from plum-token-keeper through Temporal, with the same rules as the
// TypeScript client. The protocol it implements is docs/wire-protocol.md; its tests read docs/vectors.
package plumkeeper

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
)

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
var base64Pattern = regexp.MustCompile(`^[A-Za-z0-9+/_-]+={0,2}$`)

// KeyRing holds AES-256 keys by id: the active key encrypts, every key decrypts.
type KeyRing struct {
	keys     map[string][]byte
	order    []string
	ActiveID string
}

// KeyRingConfigError is a key ring that cannot be used; it names the variable and key id, never key material.
type KeyRingConfigError struct {
	Variable string
	Problem  string
}

func (e *KeyRingConfigError) Error() string { return e.Variable + ": " + e.Problem }

// UnknownKeyIDError is a value encrypted under a key id the ring does not hold.
type UnknownKeyIDError struct {
	KeyID string
	Known []string
}

func (e *UnknownKeyIDError) Error() string {
	return fmt.Sprintf("encrypted with key id %q, which is not in the key ring (known: %s)", e.KeyID, strings.Join(e.Known, ", "))
}

// Key returns the key of id, or an *UnknownKeyIDError.
func (r *KeyRing) Key(id string) ([]byte, error) {
	key, ok := r.keys[id]
	if !ok {
		return nil, &UnknownKeyIDError{KeyID: truncate(id, 64), Known: r.order}
	}
	return key, nil
}

// IDs lists the ring's key ids in the order given.
func (r *KeyRing) IDs() []string { return append([]string(nil), r.order...) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func decodeKey(material string) ([]byte, error) {
	std := strings.NewReplacer("-", "+", "_", "/").Replace(strings.TrimRight(material, "="))
	return base64.RawStdEncoding.DecodeString(std)
}

// ParseKeyRing parses PLUM_CODEC_KEYS / PLUM_TOKEN_KEYS: comma- (or whitespace-) separated id:base64key entries.
// The active key is activeID, else the last entry; variable names the setting in errors.
func ParseKeyRing(spec, activeID, variable string) (*KeyRing, error) {
	entries := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	if len(entries) == 0 {
		return nil, &KeyRingConfigError{variable, "holds no keys; expected id:base64key[,id:base64key…]"}
	}
	ring := &KeyRing{keys: map[string][]byte{}}
	for i, entry := range entries {
		id, material, found := strings.Cut(entry, ":")
		if !found || id == "" {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("entry %d is not id:base64key", i+1)}
		}
		if !keyIDPattern.MatchString(id) {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("entry %d: the key id is not 1–64 of [A-Za-z0-9._-] (the format is id:base64key)", i+1)}
		}
		if !base64Pattern.MatchString(material) {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("key %q is not base64", id)}
		}
		if _, dup := ring.keys[id]; dup {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("key id %q appears twice", id)}
		}
		key, err := decodeKey(material)
		if err != nil {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("key %q is not base64", id)}
		}
		if len(key) != 32 {
			return nil, &KeyRingConfigError{variable, fmt.Sprintf("key %q is %d bytes; AES-256 needs 32", id, len(key))}
		}
		ring.keys[id] = key
		ring.order = append(ring.order, id)
	}
	ring.ActiveID = activeID
	if ring.ActiveID == "" {
		ring.ActiveID = ring.order[len(ring.order)-1]
	}
	if _, ok := ring.keys[ring.ActiveID]; !ok {
		return nil, &KeyRingConfigError{strings.TrimSuffix(strings.TrimSuffix(variable, "_FILE"), "_KEYS") + "_ACTIVE_KEY_ID",
			fmt.Sprintf("%q is not one of the keys (%s)", truncate(ring.ActiveID, 64), strings.Join(ring.order, ", "))}
	}
	return ring, nil
}
