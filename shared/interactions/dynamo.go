package interactions

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoAPI is the part of the DynamoDB client that DynamoStore uses; *dynamodb.Client
// satisfies it.
type DynamoAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ Store = (*DynamoStore)(nil)

// PopularityBucket is the constant partition of the popularity table's "top" index.
const PopularityBucket = "all"

// TopIndex is the name of the popularity table's global secondary index.
const TopIndex = "top"

// DynamoStore is the Store on two DynamoDB tables (layout in docs/interactions.md).
type DynamoStore struct {
	client       DynamoAPI
	interactions string
	popularity   string
	now          func() time.Time
	// retries bounds the attempts for unprocessed batch entries; backoff is the first wait.
	retries int
	backoff time.Duration
	// updaters bounds the concurrent popularity updates of one Add.
	updaters int
	// pageLimit caps the items per Query page (0: DynamoDB's 1 MB pages); tests lower it.
	pageLimit int32
}

// NewDynamo returns a store on the given tables.
func NewDynamo(client DynamoAPI, interactionsTable, popularityTable string) *DynamoStore {
	return &DynamoStore{
		client: client, interactions: interactionsTable, popularity: popularityTable,
		now: time.Now, retries: 8, backoff: 20 * time.Millisecond, updaters: 8,
	}
}

// Add implements Store: it skips interactions already stored (BatchGetItem), writes the
// new ones (BatchWriteItem, retrying unprocessed items), then adds one to each item's
// popularity count (UpdateItem ADD, atomic).
func (s *DynamoStore) Add(ctx context.Context, in []Interaction) error {
	if err := Validate(in, s.now()); err != nil {
		return err
	}
	fresh, err := s.unstored(ctx, dedupe(in))
	if err != nil {
		return fmt.Errorf("add interactions: %w", err)
	}
	if err := s.write(ctx, fresh); err != nil {
		return fmt.Errorf("add interactions: %w", err)
	}
	counts := make(map[string]int64)
	for _, x := range fresh {
		counts[x.ItemID]++
	}
	if err := s.count(ctx, counts); err != nil {
		return fmt.Errorf("add interactions: popularity: %w", err)
	}
	return nil
}

func interactionKey(userID, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"user_id": &types.AttributeValueMemberS{Value: userID},
		"sk":      &types.AttributeValueMemberS{Value: sk},
	}
}

// unstored returns the interactions whose keys are not in the table yet.
func (s *DynamoStore) unstored(ctx context.Context, in []Interaction) ([]Interaction, error) {
	stored := make(map[[2]string]struct{})
	for start := 0; start < len(in); start += 100 {
		chunk := in[start:min(start+100, len(in))]
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, x := range chunk {
			keys[i] = interactionKey(x.UserID, sortKey(x))
		}
		req := map[string]types.KeysAndAttributes{s.interactions: {
			Keys: keys, ProjectionExpression: aws.String("user_id, sk"), ConsistentRead: aws.Bool(true),
		}}
		for attempt := 0; len(req) > 0; attempt++ {
			if err := s.wait(ctx, attempt); err != nil {
				return nil, err
			}
			out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get %s: %w", s.interactions, err)
			}
			for _, item := range out.Responses[s.interactions] {
				stored[[2]string{stringAttr(item, "user_id"), stringAttr(item, "sk")}] = struct{}{}
			}
			req = out.UnprocessedKeys
		}
	}
	fresh := in[:0:0]
	for _, x := range in {
		if _, ok := stored[[2]string{x.UserID, sortKey(x)}]; !ok {
			fresh = append(fresh, x)
		}
	}
	return fresh, nil
}

// write stores the interactions 25 at a time, retrying unprocessed items with backoff.
func (s *DynamoStore) write(ctx context.Context, in []Interaction) error {
	for start := 0; start < len(in); start += 25 {
		chunk := in[start:min(start+25, len(in))]
		reqs := make([]types.WriteRequest, len(chunk))
		for i, x := range chunk {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: interactionItem(x)}}
		}
		pending := map[string][]types.WriteRequest{s.interactions: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			if err := s.wait(ctx, attempt); err != nil {
				return err
			}
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("batch write %s: %w", s.interactions, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

// wait sleeps before retry number attempt (none before the first) and fails once the
// retries are spent or ctx is done.
func (s *DynamoStore) wait(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	if attempt > s.retries {
		return fmt.Errorf("unprocessed items after %d attempts", attempt)
	}
	t := time.NewTimer(s.backoff << min(attempt-1, 10))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func interactionItem(x Interaction) map[string]types.AttributeValue {
	item := interactionKey(x.UserID, sortKey(x))
	item["item_id"] = &types.AttributeValueMemberS{Value: x.ItemID}
	item["ts"] = &types.AttributeValueMemberS{Value: FormatTime(x.Time)}
	if x.Event != "" {
		item["event"] = &types.AttributeValueMemberS{Value: x.Event}
	}
	if x.Weight != nil {
		item["weight"] = &types.AttributeValueMemberN{Value: strconv.FormatFloat(*x.Weight, 'g', -1, 64)}
	}
	return item
}

// count adds to the popularity of each item, a few updates at a time.
func (s *DynamoStore) count(ctx context.Context, counts map[string]int64) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, s.updaters)
	)
	for item, n := range counts {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                aws.String(s.popularity),
				Key:                      map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: item}},
				UpdateExpression:         aws.String("ADD #c :n SET #b = :b"),
				ExpressionAttributeNames: map[string]string{"#c": "count", "#b": "bucket"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":n": &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)},
					":b": &types.AttributeValueMemberS{Value: PopularityBucket},
				},
			})
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("update %s item %q: %w", s.popularity, item, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
