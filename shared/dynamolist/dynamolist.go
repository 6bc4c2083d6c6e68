// Package dynamolist creates the DynamoDB tables that hold named lists of items: one
// partition per list (key "list"), one row per item (sort key "item_id"). The items
// table and the availability table share this layout; each store documents its
// attributes.
package dynamolist

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableAPI is the part of the DynamoDB client CreateTable uses.
type TableAPI interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

// CreateTable creates table (on-demand billing) with partition key list (S) and sort key
// item_id (S). Used by tests and local runs; CDK owns the tables in AWS. A table that
// already exists is kept: a CreateTable the SDK retried after its first attempt had
// succeeded reports the table as in use, which is not a failure.
func CreateTable(ctx context.Context, client TableAPI, table string) error {
	s := types.ScalarAttributeTypeS
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("list"), AttributeType: s},
			{AttributeName: aws.String("item_id"), AttributeType: s},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("list"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("item_id"), KeyType: types.KeyTypeRange},
		},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	return nil
}
