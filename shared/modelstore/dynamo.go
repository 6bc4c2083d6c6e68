package modelstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// DynamoAPI is the part of the DynamoDB client the pointer uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// DynamoPointer keeps one item per kind in the models table: key kind (S),
// attributes version (S) and created_at (S). created_at is stored as fixed-width
// UTC RFC 3339 with nanoseconds, so that the conditional write can compare it as
// a string: attribute_not_exists(kind) OR created_at < :new, or the same version.
type DynamoPointer struct {
	Client DynamoAPI
	Table  string
}

var _ Pointer = (*DynamoPointer)(nil)

// NewDynamoPointer returns the pointer kept in table.
func NewDynamoPointer(client DynamoAPI, table string) *DynamoPointer {
	return &DynamoPointer{Client: client, Table: table}
}

// timeKey is sortable as a string (fixed width, UTC).
const timeKey = "2006-01-02T15:04:05.000000000Z"

func (p *DynamoPointer) where(kind checkpoint.Kind) string {
	return fmt.Sprintf("dynamodb table %s item kind=%s", p.Table, kind)
}

// Get reads the item of kind with a consistent read.
func (p *DynamoPointer) Get(ctx context.Context, kind checkpoint.Kind) (checkpoint.Active, error) {
	out, err := p.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(p.Table),
		Key:            map[string]types.AttributeValue{"kind": &types.AttributeValueMemberS{Value: string(kind)}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w", p.where(kind), err)
	}
	if out.Item == nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w", p.where(kind), ErrNotFound)
	}
	version, _ := out.Item["version"].(*types.AttributeValueMemberS)
	created, _ := out.Item["created_at"].(*types.AttributeValueMemberS)
	if version == nil || created == nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s lacks version or created_at", p.where(kind))
	}
	at, err := time.Parse(time.RFC3339Nano, created.Value)
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: created_at: %w", p.where(kind), err)
	}
	return checkpoint.Active{Kind: kind, Version: version.Value, CreatedAt: at}, nil
}

// Promote writes the item of a.Kind on condition that it is absent, older, or
// already names a.
func (p *DynamoPointer) Promote(ctx context.Context, a checkpoint.Active) error {
	at := a.CreatedAt.UTC().Format(timeKey)
	return p.put(ctx, a, "attribute_not_exists(#k) OR #c < :c OR (#c = :c AND #v = :v)",
		map[string]types.AttributeValue{
			":c": &types.AttributeValueMemberS{Value: at},
			":v": &types.AttributeValueMemberS{Value: a.Version},
		})
}

// Replace writes the item of a.Kind on condition that it names prev's version.
func (p *DynamoPointer) Replace(ctx context.Context, a, prev checkpoint.Active) error {
	return p.put(ctx, a, "#v = :prev", map[string]types.AttributeValue{
		":prev": &types.AttributeValueMemberS{Value: prev.Version},
	})
}

// put writes a under cond (whose names #k, #c and #v are kind, created_at and
// version); a failed condition is ErrStale.
func (p *DynamoPointer) put(ctx context.Context, a checkpoint.Active, cond string, values map[string]types.AttributeValue) error {
	if err := checkActive(a); err != nil {
		return err
	}
	at := a.CreatedAt.UTC().Format(timeKey)
	_, err := p.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(p.Table),
		Item: map[string]types.AttributeValue{
			"kind":       &types.AttributeValueMemberS{Value: string(a.Kind)},
			"version":    &types.AttributeValueMemberS{Value: a.Version},
			"created_at": &types.AttributeValueMemberS{Value: at},
		},
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  usedNames(cond),
		ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return fmt.Errorf("promote %s/%s (created %s): %s holds another version (%s): %w", a.Kind, a.Version, at, p.where(a.Kind), cond, ErrStale)
	}
	if err != nil {
		return fmt.Errorf("promote %s/%s: %s: %w", a.Kind, a.Version, p.where(a.Kind), err)
	}
	return nil
}

// usedNames returns the attribute names cond refers to (DynamoDB rejects unused ones).
func usedNames(cond string) map[string]string {
	names := map[string]string{}
	for ph, attr := range map[string]string{"#k": "kind", "#c": "created_at", "#v": "version"} {
		if strings.Contains(cond, ph) {
			names[ph] = attr
		}
	}
	return names
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// CreatePointerTable creates the models (active pointer) table with the layout
// DynamoPointer expects, on demand billing, and waits until it is active. The CDK
// stack creates it in AWS; this is for tests and self-managed endpoints.
func CreatePointerTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("kind"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("kind"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create models table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(client)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute); err != nil {
		return fmt.Errorf("wait for models table %s: %w", table, err)
	}
	return nil
}
