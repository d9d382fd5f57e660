package plumkeeper

import "google.golang.org/grpc/codes"

// FieldsSinceProtocol: optional input fields and the keeper protocol that first accepts each (docs/wire-protocol.md,
// client rule 6).
var FieldsSinceProtocol = map[string]map[string]int{"refreshNow": {"seenExpiresAt": 1}}

// CacheLimits: the default bounds of the client's caches (companies; (company, e-mail, scope) triples).
var CacheLimits = struct{ AccessTokens, UserTokens int }{AccessTokens: 100_000, UserTokens: 10_000}

// FieldsFor returns input without the optional fields a keeper of protocol does not accept.
func FieldsFor(message string, input map[string]any, protocol int) map[string]any {
	since := FieldsSinceProtocol[message]
	sent := map[string]any{}
	for field, value := range input {
		if since[field] <= protocol {
			sent[field] = value
		}
	}
	return sent
}

// QueryRefusalIsMiss: only cachedUserToken refused by the keeper itself (INVALID_ARGUMENT, a keeper older than the
// query) counts as a miss; the client then asks through the update.
func QueryRefusalIsMiss(query string, code codes.Code) bool {
	return query == "cachedUserToken" && code == codes.InvalidArgument
}
