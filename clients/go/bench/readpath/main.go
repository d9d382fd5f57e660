// The bench's read path through the Go client: cached reads, and cold reads (Invalidate, then a query through the
// client), as sample lists in milliseconds on stdout (JSON). Run by bench/lib/other-clients.ts.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"strconv"
	"time"

	plumkeeper "github.com/plum-token-keeper/plum-token-keeper/clients/go"
)

func main() {
	ctx := context.Background()
	payloadRing, err := plumkeeper.ParseKeyRing(os.Getenv("PLUM_CODEC_KEYS"), "", "PLUM_CODEC_KEYS")
	if err != nil {
		log.Fatal(err)
	}
	tokenRing, err := plumkeeper.ParseKeyRing(os.Getenv("PLUM_TOKEN_KEYS"), "", "PLUM_TOKEN_KEYS")
	if err != nil {
		log.Fatal(err)
	}
	keeper, err := plumkeeper.Dial(ctx, plumkeeper.Options{HostPort: os.Getenv("TEMPORAL_ADDRESS"), KeyRing: payloadRing, TokenKeyRing: tokenRing})
	if err != nil {
		log.Fatal(err)
	}
	defer keeper.Close()
	company := os.Getenv("BENCH_COMPANY")
	samples := func(count int, cold bool) []float64 {
		out := make([]float64, 0, count)
		for range count {
			if cold {
				keeper.Invalidate(company)
			}
			start := time.Now()
			if _, err := keeper.GetAccessToken(ctx, company); err != nil {
				log.Fatal(err)
			}
			out = append(out, float64(time.Since(start).Nanoseconds())/1e6)
		}
		return out
	}
	reads, _ := strconv.Atoi(os.Getenv("BENCH_READS"))
	coldReads, _ := strconv.Atoi(os.Getenv("BENCH_COLD_READS"))
	samples(min(coldReads, 50), true)
	cold := samples(coldReads, true)
	samples(1000, false)
	cached := samples(reads, false)
	if err := json.NewEncoder(os.Stdout).Encode(map[string][]float64{"cachedMs": cached, "coldMs": cold}); err != nil {
		log.Fatal(err)
	}
}
