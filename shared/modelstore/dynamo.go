package modelstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
// attributes version (S), created_at (S) and the promotion record (pointer_item.go).
// Times are stored as fixed-width UTC RFC 3339 with nanoseconds. A write reads the
// item, applies the pointer rule, and writes on condition that the item did not change
// in between (compare and swap on version, created_at and promoted_at).
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
	a, err := decodePointer(kind, out.Item)
	if err != nil {
		return checkpoint.Active{}, fmt.Errorf("active pointer %s: %w", p.where(kind), err)
	}
	return a, nil
}

// Promote writes the item of a.Kind when it is absent, or names an older (or the same)
// version and is not pinned.
func (p *DynamoPointer) Promote(ctx context.Context, a checkpoint.Active) error {
	return p.put(ctx, a, func(cur checkpoint.Active, found bool) bool { return promotable(a, cur, found) })
}

// Replace writes the item of a.Kind while it names prev's version.
func (p *DynamoPointer) Replace(ctx context.Context, a, prev checkpoint.Active) error {
	return p.put(ctx, a, func(cur checkpoint.Active, found bool) bool { return found && cur.Version == prev.Version })
}

// casAttempts bounds the read-decide-write rounds of put when other writers interleave.
const casAttempts = 50

// put reads the pointer, asks allow, and writes a (with record's Previous and
// PromotedAt) on condition that the item is still what was read: absent, or the same
// version, created_at and promotion time. A refusal by allow is ErrStale; a write that
// loses to another writer reads again.
func (p *DynamoPointer) put(ctx context.Context, a checkpoint.Active, allow func(cur checkpoint.Active, found bool) bool) error {
	if err := checkActive(a); err != nil {
		return err
	}
	for attempt := 0; attempt < casAttempts; attempt++ {
		cur, err := p.Get(ctx, a.Kind)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("promote %s/%s: %w", a.Kind, a.Version, err)
		}
		if !allow(cur, found) {
			return fmt.Errorf("promote %s/%s (created %s): %s holds %s (created %s%s): %w", a.Kind, a.Version,
				a.CreatedAt.UTC().Format(time.RFC3339), p.where(a.Kind), cur.Version, cur.CreatedAt.UTC().Format(time.RFC3339),
				pinnedNote(cur), ErrStale)
		}
		cond, names, values := "attribute_not_exists(#k)", map[string]string{"#k": "kind"}, map[string]types.AttributeValue{}
		if found {
			cond, names = "#v = :v AND #c = :c AND "+promotedCond(cur, values), map[string]string{"#v": "version", "#c": "created_at", "#pa": "promoted_at"}
			values[":v"] = &types.AttributeValueMemberS{Value: cur.Version}
			values[":c"] = &types.AttributeValueMemberS{Value: cur.CreatedAt.UTC().Format(timeKey)}
		}
		in := &dynamodb.PutItemInput{
			TableName: aws.String(p.Table), Item: encodePointer(record(a, cur, found, time.Now())),
			ConditionExpression: aws.String(cond), ExpressionAttributeNames: names,
		}
		if len(values) > 0 {
			in.ExpressionAttributeValues = values
		}
		_, err = p.Client.PutItem(ctx, in)
		var lost *types.ConditionalCheckFailedException
		if errors.As(err, &lost) {
			continue // another writer moved the pointer since the read: decide again
		}
		if err != nil {
			return fmt.Errorf("promote %s/%s: %s: %w", a.Kind, a.Version, p.where(a.Kind), err)
		}
		return nil
	}
	return fmt.Errorf("promote %s/%s: %s kept changing during %d attempts: %w", a.Kind, a.Version, p.where(a.Kind), casAttempts, ErrStale)
}

// promotedCond is the condition that the item's promotion time is still cur's.
func promotedCond(cur checkpoint.Active, values map[string]types.AttributeValue) string {
	if cur.PromotedAt.IsZero() {
		return "attribute_not_exists(#pa)"
	}
	values[":pa"] = &types.AttributeValueMemberS{Value: cur.PromotedAt.UTC().Format(timeKey)}
	return "#pa = :pa"
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
