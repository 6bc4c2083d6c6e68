package items

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contentml/mlbundle/shared/dynamolist"
)

// ListKey is the partition every item of the items table shares, so that the whole
// list is one Query (never a Scan); the sort key is the item id.
const ListKey = "registered"

// DynamoAPI is the part of the DynamoDB client the store uses.
type DynamoAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var _ Store = (*DynamoStore)(nil)

// DynamoStore keeps the items in a DynamoDB table: partition key list (S, always
// ListKey), sort key item_id (S); attributes title, description, category,
// model_version, updated_at (S) and embedding (B, float32 little-endian).
type DynamoStore struct {
	client DynamoAPI
	table  string
	now    func() time.Time
}

// NewDynamo returns the items kept in table.
func NewDynamo(client DynamoAPI, table string) *DynamoStore {
	return &DynamoStore{client: client, table: table, now: time.Now}
}

// Put implements Store (PutItem).
func (s *DynamoStore) Put(ctx context.Context, it Item) error {
	if err := Check(it.ItemID, it.Text); err != nil {
		return err
	}
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"list": str(ListKey), "item_id": str(it.ItemID), "title": str(it.Title),
		"updated_at": str(s.now().UTC().Format(time.RFC3339Nano)),
	}
	for name, v := range map[string]string{"description": it.Description, "category": it.Category, "model_version": it.ModelVersion} {
		if v != "" {
			item[name] = str(v)
		}
	}
	if len(it.Embedding) > 0 {
		item["embedding"] = &types.AttributeValueMemberB{Value: encode(it.Embedding)}
	}
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("register item %q: put %s: %w", it.ItemID, s.table, err)
	}
	return nil
}

// List implements Store: one Query of the list partition, every page, consistent.
func (s *DynamoStore) List(ctx context.Context) ([]Item, error) {
	var out []Item
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
			return nil, fmt.Errorf("list registered items: query %s: %w", s.table, err)
		}
		for _, av := range page.Items {
			it, err := fromDynamo(av)
			if err != nil {
				return nil, fmt.Errorf("list registered items: %w", err)
			}
			out = append(out, it)
		}
	}
	return out, nil
}

func fromDynamo(av map[string]types.AttributeValue) (Item, error) {
	str := func(name string) string {
		if v, ok := av[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	it := Item{ItemID: str("item_id"), Text: Text{Title: str("title"), Description: str("description"), Category: str("category")},
		ModelVersion: str("model_version")}
	var err error
	if b, ok := av["embedding"].(*types.AttributeValueMemberB); ok {
		if it.Embedding, err = decode(b.Value); err != nil {
			return it, fmt.Errorf("%q: %w", it.ItemID, err)
		}
	}
	if it.UpdatedAt, err = time.Parse(time.RFC3339Nano, str("updated_at")); err != nil {
		return it, fmt.Errorf("updated_at of %q: %w", it.ItemID, err)
	}
	return it, nil
}

// CreateTable creates the items table (on-demand) with the layout DynamoStore expects.
// Used by tests and local runs; CDK owns it in AWS.
func CreateTable(ctx context.Context, client *dynamodb.Client, table string) error {
	return dynamolist.CreateTable(ctx, client, table)
}
