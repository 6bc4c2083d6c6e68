package interactions

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/contentml/mlbundle/shared/awstest"
)

var tableSeq atomic.Int64

// dynamoClient returns a client for AWS_ENDPOINT_URL (moto_server, LocalStack) or skips.
func dynamoClient(t *testing.T) *dynamodb.Client { return awstest.DynamoDB(t) }

func newDynamoStore(t *testing.T, client *dynamodb.Client) *DynamoStore {
	t.Helper()
	n := tableSeq.Add(1)
	suffix := fmt.Sprintf("%d-%d", time.Now().UnixNano(), n)
	it, pt := "interactions-"+suffix, "popularity-"+suffix
	if err := CreateTables(context.Background(), client, it, pt); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, name := range []string{it, pt} {
			_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		}
	})
	return NewDynamo(client, it, pt)
}

func TestDynamoContract(t *testing.T) {
	client := dynamoClient(t)
	runContract(t, func(t *testing.T) Store {
		s := newDynamoStore(t, client)
		s.pageLimit = 2500 // several pages per read, as a large history gives in AWS
		return s
	})
}

// flaky leaves half of every batch write unprocessed on its first try, as DynamoDB does
// under throttling.
type flaky struct {
	DynamoAPI
	calls atomic.Int64
}

func (f *flaky) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.calls.Add(1)%2 == 0 {
		return f.DynamoAPI.BatchWriteItem(ctx, in, opts...)
	}
	keep, rest := map[string][]types.WriteRequest{}, map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		half := len(reqs) / 2
		keep[table], rest[table] = reqs[:half], reqs[half:]
	}
	if _, err := f.DynamoAPI.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: keep}, opts...); err != nil {
		return nil, err
	}
	return &dynamodb.BatchWriteItemOutput{UnprocessedItems: rest}, nil
}

func TestDynamoRetriesUnprocessedItems(t *testing.T) {
	client := dynamoClient(t)
	s := newDynamoStore(t, client)
	f := &flaky{DynamoAPI: client}
	s.client, s.backoff = f, time.Millisecond
	in := make([]Interaction, 60)
	for i := range in {
		in[i] = Interaction{UserID: "u", ItemID: fmt.Sprintf("i%d", i), Time: at(i)}
	}
	mustAdd(t, s, in)
	assertSeen(t, s, "u", func() []string {
		ids := make([]string, len(in))
		for i, x := range in {
			ids[i] = x.ItemID
		}
		return ids
	}())
	if f.calls.Load() < 6 {
		t.Errorf("BatchWriteItem called %d times, want retries (>= 6)", f.calls.Load())
	}
}

func TestDynamoRetryWaitStopsBeforeTheDeadline(t *testing.T) {
	s := NewDynamo(nil, "i", "p")
	s.backoff = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	var err error
	for attempt := 1; err == nil && attempt <= s.retries; attempt++ {
		err = s.wait(ctx, attempt)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait under a 50 ms deadline with 1 s backoff: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("gave up after %v, want before the deadline passes", d)
	}
	// Full jitter: the waits of one attempt are spread, not one fixed value.
	s.backoff = 8 * time.Millisecond
	waits := map[time.Duration]bool{}
	for range 20 {
		t0 := time.Now()
		if err := s.wait(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		waits[time.Since(t0).Round(time.Millisecond)] = true
	}
	if len(waits) < 3 {
		t.Errorf("20 waits took only %d distinct durations (ms): no jitter", len(waits))
	}
}

// TestCreateTablesKeepsExisting: creating the tables again (as an SDK retry of a slow
// CreateTable does) keeps them and their items instead of failing.
func TestCreateTablesKeepsExisting(t *testing.T) {
	client := dynamoClient(t)
	s := newDynamoStore(t, client)
	ctx := context.Background()
	if err := s.Add(ctx, []Interaction{{UserID: "u1", ItemID: "i1", Time: time.Unix(1_700_000_000, 0)}}); err != nil {
		t.Fatal(err)
	}
	if err := CreateTables(ctx, client, s.interactions, s.popularity); err != nil {
		t.Fatalf("CreateTables on existing tables: %v, want nil", err)
	}
	seen, err := s.Seen(ctx, "u1")
	if _, ok := seen["i1"]; err != nil || !ok {
		t.Fatalf("Seen after CreateTables again: %v %v, want i1 kept", seen, err)
	}
}
