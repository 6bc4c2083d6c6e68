package dynamolist

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

type fakeClient struct {
	got *dynamodb.CreateTableInput
	err error
}

func (f *fakeClient) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	f.got = in
	return &dynamodb.CreateTableOutput{}, f.err
}

func TestCreateTable(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		wantErr string
	}{
		{name: "created"},
		{name: "already there is kept", err: &types.ResourceInUseException{Message: aws.String("in use")}},
		{name: "other failure", err: errors.New("access denied"), wantErr: "create table things: access denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeClient{err: c.err}
			err := CreateTable(context.Background(), f, "things")
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if aws.ToString(f.got.TableName) != "things" || f.got.BillingMode != types.BillingModePayPerRequest {
				t.Fatalf("table %q billing %q", aws.ToString(f.got.TableName), f.got.BillingMode)
			}
			keys := map[string]types.KeyType{}
			for _, k := range f.got.KeySchema {
				keys[aws.ToString(k.AttributeName)] = k.KeyType
			}
			if keys["list"] != types.KeyTypeHash || keys["item_id"] != types.KeyTypeRange || len(keys) != 2 {
				t.Fatalf("key schema %v", keys)
			}
		})
	}
}
