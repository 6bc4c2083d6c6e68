package availability

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contentml/mlbundle/shared/dynamolist"
	"github.com/contentml/mlbundle/shared/interactions"
)

// ListKey is the partition every entry of the availability table shares, so that the
// list is one Query (never a Scan); the sort key is the item id.
const ListKey = "unavailable"

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ Store = (*DynamoStore)(nil)

// DynamoStore keeps the list in a DynamoDB table: partition key list (S, always
// ListKey), sort key item_id (S), attributes reason (S) and updated_at (S).
type DynamoStore struct {
	client DynamoAPI
	table  string
	now    func() time.Time
}

// NewDynamo returns the list kept in table.
func NewDynamo(client DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{client: client, table: table, now: time.Now}
}

func key(itemID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"list":    &types.AttributeValueMemberS{Value: ListKey},
		"item_id": &types.AttributeValueMemberS{Value: itemID},
	}
}

// List implements Store: one Query of the list partition, every page, consistent.
func (s *DynamoStore) List(ctx context.Context) ([]Entry, error) {
	var out []Entry
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    aws.String("#l = :l"),
		ExpressionAttributeNames:  map[string]string{"#l": "list"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":l": &types.AttributeValueMemberS{Value: ListKey}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list unavailable items: query %s: %w", s.table, err)
		}
		for _, item := range page.Items {
			e := Entry{ItemID: str(item, "item_id"), Reason: str(item, "reason")}
			if at := str(item, "updated_at"); at != "" {
				t, err := time.Parse(time.RFC3339Nano, at)
				if err != nil {
					return nil, fmt.Errorf("list unavailable items: updated_at of %q: %w", e.ItemID, err)
				}
				e.UpdatedAt = t
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// MarkUnavailable implements Store (PutItem).
func (s *DynamoStore) MarkUnavailable(ctx context.Context, itemID, reason string) error {
	if err := checkItem(itemID, reason); err != nil {
		return err
	}
	item := key(itemID)
	item["reason"] = &types.AttributeValueMemberS{Value: reason}
	item["updated_at"] = &types.AttributeValueMemberS{Value: s.now().UTC().Format(time.RFC3339Nano)}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("mark %q unavailable: put %s: %w", itemID, s.table, err)
	}
	return nil
}

// MarkAvailable implements Store (DeleteItem).
func (s *DynamoStore) MarkAvailable(ctx context.Context, itemID string) error {
	if _, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(itemID)}); err != nil {
		return fmt.Errorf("mark %q available: delete %s: %w", itemID, s.table, err)
	}
	return nil
}

// CreateTable creates the availability table (on-demand) with the layout DynamoStore
// expects. Used by tests and local runs; CDK owns it in AWS.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	return dynamolist.CreateTable(ctx, client, table)
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// ErrInvalid marks a bad item id or reason.
var ErrInvalid = errors.New("invalid availability entry")

// maxReason bounds the reason operators record.
const maxReason = 256

func checkItem(itemID, reason string) error {
	if msg := interactions.CheckID(itemID); msg != "" {
		return fmt.Errorf("%w: item_id %s", ErrInvalid, msg)
	}
	if len(reason) > maxReason {
		return fmt.Errorf("%w: reason must be at most %d bytes", ErrInvalid, maxReason)
	}
	return nil
}
