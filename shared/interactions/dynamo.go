package interactions

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// DynamoAPI is the part of the DynamoDB client that DynamoStore uses; *dynamodb.Client
// satisfies it.
type DynamoAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
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

// Add implements Store: it writes the interactions (BatchWriteItem, retrying unprocessed
// items; a repeated key overwrites the same item), then counts each (user, item) pair
// of the batch that is new: a conditional PutItem of the pair's marker, and for the first
// writer only, one added to the item's count (UpdateItem ADD, atomic). Markers make the
// count by distinct users and a retried batch idempotent.
func (s *DynamoStore) Add(ctx context.Context, in []Interaction) error {
	if err := Validate(in, s.now()); err != nil {
		return err
	}
	in = dedupe(in)
	if err := s.write(ctx, in); err != nil {
		return fmt.Errorf("add interactions: %w", err)
	}
	if err := s.count(ctx, in); err != nil {
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

// write stores the interactions.
func (s *DynamoStore) write(ctx context.Context, in []Interaction) error {
	reqs := make([]types.WriteRequest, len(in))
	for i, x := range in {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: interactionItem(x)}}
	}
	return s.batchWrite(ctx, reqs)
}

// batchWrite sends write requests on the interactions table 25 at a time, retrying
// unprocessed items with backoff.
func (s *DynamoStore) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	for start := 0; start < len(reqs); start += 25 {
		pending := map[string][]types.WriteRequest{s.interactions: reqs[start:min(start+25, len(reqs))]}
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
// retries are spent, ctx is done, or the wait would end past ctx's deadline. The wait is
// "full jitter" (uniform in [0, backoff·2^(attempt-1)]), so that callers throttled
// together do not retry together.
func (s *DynamoStore) wait(ctx context.Context, attempt int) error {
	if attempt == 0 {
		return nil
	}
	if attempt > s.retries {
		return fmt.Errorf("unprocessed items after %d attempts", attempt)
	}
	d := time.Duration(rand.Int64N(int64(s.backoff<<min(attempt-1, 10)) + 1))
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return fmt.Errorf("unprocessed items after %d attempts: the next retry would pass the deadline: %w",
			attempt, context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
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
	if x.Category != "" {
		item["category"] = &types.AttributeValueMemberS{Value: x.Category}
	}
	return item
}

// markerSep joins item and user in the key of a pair marker. Ids never hold control
// characters (Validate), so a marker key never equals an item id.
const markerSep = "\x1f"

// MarkerKey is the popularity-table key that records that the user counted for the item.
// Markers carry no "bucket", so the "top" index never lists them.
func MarkerKey(itemID, userID string) string { return itemID + markerSep + userID }

// count adds one to the popularity of each item for each user of the batch who had not
// interacted with it before, a few pairs at a time. A pair whose marker was written but
// whose count update failed stays uncounted (an under-count, never an over-count).
func (s *DynamoStore) count(ctx context.Context, in []Interaction) error {
	pairs := make(map[[2]string]struct{}, len(in))
	for _, x := range in {
		pairs[[2]string{x.ItemID, x.UserID}] = struct{}{}
	}
	var g errgroup.Group
	g.SetLimit(s.updaters)
	for p := range pairs {
		g.Go(func() error { return s.countPair(ctx, p[0], p[1]) })
	}
	return g.Wait()
}

// countPair writes the pair's marker unless it exists and, when it did not, adds one to
// the item's count.
func (s *DynamoStore) countPair(ctx context.Context, itemID, userID string) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.popularity),
		Item:                map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: MarkerKey(itemID, userID)}},
		ConditionExpression: aws.String("attribute_not_exists(item_id)"),
	})
	var exists *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &exists):
		return nil // this user counted for the item already
	case err != nil:
		return fmt.Errorf("put %s marker of item %q: %w", s.popularity, itemID, err)
	}
	_, err = s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.popularity),
		Key:                      map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: itemID}},
		UpdateExpression:         aws.String("ADD #c :n SET #b = :b"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#b": "bucket"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":n": &types.AttributeValueMemberN{Value: "1"},
			":b": &types.AttributeValueMemberS{Value: PopularityBucket},
		},
	})
	if err != nil {
		return fmt.Errorf("update %s item %q: %w", s.popularity, itemID, err)
	}
	return nil
}

func stringAttr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
