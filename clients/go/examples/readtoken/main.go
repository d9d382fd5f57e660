package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	plumkeeper "github.com/plum-token-keeper/plum-token-keeper/clients/go"
)

func main() {
	ctx := context.Background()
	payloadRing, err1 := plumkeeper.ParseKeyRing(os.Getenv("PLUM_CODEC_KEYS"), "", "PLUM_CODEC_KEYS")
	tokenRing, err2 := plumkeeper.ParseKeyRing(os.Getenv("PLUM_TOKEN_KEYS"), "", "PLUM_TOKEN_KEYS")
	keeper, err3 := plumkeeper.Dial(ctx, plumkeeper.Options{HostPort: cmp.Or(os.Getenv("TEMPORAL_ADDRESS"), "127.0.0.1:7233"), KeyRing: payloadRing, TokenKeyRing: tokenRing})
	if err := errors.Join(err1, err2, err3); err != nil {
		log.Fatal(err)
	}
	token, err := keeper.GetAccessToken(ctx, cmp.Or(os.Getenv("PLUM_COMPANY"), "demo-company"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s token of %d characters, expires at %d\n", token.Status, len(token.AccessToken), token.ExpiresAt)
}
