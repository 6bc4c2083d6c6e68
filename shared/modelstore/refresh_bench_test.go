package modelstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/checkpoint/checkpointtest"
	"github.com/contentml/mlbundle/shared/modelstore"
)

// BenchmarkAcquireRefresh measures what the request-path pointer check adds to
// Acquire+Release, side by side in one run: "never" is the TTL never passing
// (the peer), "every-N" is one pointer read per N requests (N=30 is a sandbox at
// 1 request/s with MODEL_TTL_SECONDS=30; N=1 is MODEL_TTL_SECONDS=0). The pointer
// names the loaded version, so a check is the read alone. It reports the p50, p99
// and p99.9 of single calls; dynamodb runs against AWS_ENDPOINT_URL (moto_server
// locally, whose latency is not DynamoDB's).
func BenchmarkAcquireRefresh(b *testing.B) {
	pointers := map[string]func(b *testing.B, root string) modelstore.Pointer{
		"local": func(b *testing.B, root string) modelstore.Pointer { return modelstore.NewLocalPointer(root) },
		"dynamodb": func(b *testing.B, _ string) modelstore.Pointer {
			client, table := newTable(b)
			return modelstore.NewDynamoPointer(client, table)
		},
	}
	const ttl = 30 * time.Second
	for _, impl := range []string{"local", "dynamodb"} {
		for _, every := range []int{0, 1000, 30, 1} {
			name := fmt.Sprintf("%s/every-%d", impl, every)
			if every == 0 {
				name = impl + "/never"
			}
			b.Run(name, func(b *testing.B) {
				root := b.TempDir()
				store, ptr := modelstore.NewLocal(root), pointers[impl](b, root)
				c := checkpointtest.NCF("v1", t0)
				if err := c.WriteTo(root); err != nil {
					b.Fatal(err)
				}
				if err := ptr.Promote(context.Background(), c.Manifest.Active()); err != nil {
					b.Fatal(err)
				}
				clk := &clock{t: t0}
				step := time.Duration(0)
				if every > 0 {
					step = ttl / time.Duration(every)
				}
				cache := modelstore.NewCache(modelstore.CacheConfig{Kind: checkpoint.NCF, Store: store, Pointer: ptr,
					TTL: ttl, Logger: quiet(), Now: clk.Now},
					func(context.Context, *checkpoint.Manifest, string) (*fakeModel, error) { return &fakeModel{}, nil },
					func(*fakeModel) error { return nil })
				if err := cache.Warm(context.Background(), time.Second); err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					clk.Add(step)
					start := time.Now()
					m, err := cache.Acquire(ctx)
					if err != nil {
						b.Fatal(err)
					}
					m.Release()
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(lat)
				for _, q := range []struct {
					unit string
					p    float64
				}{{"p50-ns", 0.50}, {"p99-ns", 0.99}, {"p99.9-ns", 0.999}} {
					b.ReportMetric(float64(lat[int(q.p*float64(len(lat)-1))].Nanoseconds()), q.unit)
				}
			})
		}
	}
}
