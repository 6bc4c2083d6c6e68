package interactions

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Seen implements Store: a Query over the user's partition, every page.
func (s *DynamoStore) Seen(ctx context.Context, userID string) (map[string]struct{}, error) {
	out := make(map[string]struct{})
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.interactions),
		KeyConditionExpression:    aws.String("user_id = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: userID}},
		ProjectionExpression:      aws.String("item_id"),
		Limit:                     s.limit(0),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("seen items of %q: query %s: %w", userID, s.interactions, err)
		}
		for _, item := range page.Items {
			out[stringAttr(item, "item_id")] = struct{}{}
		}
	}
	return out, nil
}

// Recent implements Store: a Query in descending sort-key order.
func (s *DynamoStore) Recent(ctx context.Context, userID string, limit int) ([]Interaction, error) {
	var out []Interaction
	if limit <= 0 {
		return out, nil
	}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.interactions),
		KeyConditionExpression:    aws.String("user_id = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: userID}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     s.limit(limit),
	})
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("recent interactions of %q: query %s: %w", userID, s.interactions, err)
		}
		for _, item := range page.Items {
			x, err := decodeInteraction(userID, item)
			if err != nil {
				return nil, fmt.Errorf("recent interactions of %q: %w", userID, err)
			}
			if len(out) < limit {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// limit is the Query page size for a read that wants want items (0: all of them).
func (s *DynamoStore) limit(want int) *int32 {
	n := int32(min(want, 1000))
	if s.pageLimit > 0 && (n == 0 || s.pageLimit < n) {
		n = s.pageLimit
	}
	if n <= 0 {
		return nil
	}
	return aws.Int32(n)
}

func decodeInteraction(userID string, item map[string]types.AttributeValue) (Interaction, error) {
	x := Interaction{UserID: userID, ItemID: stringAttr(item, "item_id"), Event: stringAttr(item, "event"),
		Category: stringAttr(item, "category")}
	t, err := time.Parse(time.RFC3339Nano, stringAttr(item, "ts"))
	if err != nil {
		return x, fmt.Errorf("stored timestamp of %q: %w", x.ItemID, err)
	}
	x.Time = t
	if w, ok := item["weight"].(*types.AttributeValueMemberN); ok {
		v, err := strconv.ParseFloat(w.Value, 64)
		if err != nil {
			return x, fmt.Errorf("stored weight of %q: %w", x.ItemID, err)
		}
		x.Weight = &v
	}
	return x, nil
}

// TopItems implements Store: a descending Query on the popularity table's "top" index,
// so cold start never scans.
func (s *DynamoStore) TopItems(ctx context.Context, n int) ([]ItemCount, error) {
	var out []ItemCount
	if n <= 0 {
		return out, nil
	}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.popularity),
		IndexName:                 aws.String(TopIndex),
		KeyConditionExpression:    aws.String("#b = :b"),
		ExpressionAttributeNames:  map[string]string{"#b": "bucket"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberS{Value: PopularityBucket}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     s.limit(n),
	})
	for p.HasMorePages() && len(out) < n {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("top items: query %s index %s: %w", s.popularity, TopIndex, err)
		}
		for _, item := range page.Items {
			c, ok := item["count"].(*types.AttributeValueMemberN)
			if !ok || len(out) >= n {
				continue
			}
			v, err := strconv.ParseInt(c.Value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("top items: count of %q: %w", stringAttr(item, "item_id"), err)
			}
			out = append(out, ItemCount{ItemID: stringAttr(item, "item_id"), Count: v})
		}
	}
	return out, nil
}

// CreateTables creates the interactions and popularity tables (on-demand billing) with
// the layout DynamoStore expects. Used by tests and local runs; CDK owns them in AWS.
// A table that already exists is kept: a CreateTable that the SDK retried after its first
// attempt had succeeded (a slow answer) reports the table as in use, which is not a failure.
func CreateTables(ctx context.Context, client *dynamodb.Client, interactionsTable, popularityTable string) error {
	s := types.ScalarAttributeTypeS
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(interactionsTable),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("user_id"), AttributeType: s},
			{AttributeName: aws.String("sk"), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("user_id"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	if err != nil && !inUse(err) {
		return fmt.Errorf("create table %s: %w", interactionsTable, err)
	}
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(popularityTable),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("item_id"), AttributeType: s},
			{AttributeName: aws.String("bucket"), AttributeType: s},
			{AttributeName: aws.String("count"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("item_id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(TopIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("bucket"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("count"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil && !inUse(err) {
		return fmt.Errorf("create table %s: %w", popularityTable, err)
	}
	return nil
}

// inUse reports whether err says that the table exists already.
func inUse(err error) bool {
	var e *types.ResourceInUseException
	return errors.As(err, &e)
}
