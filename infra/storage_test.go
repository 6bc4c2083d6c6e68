package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestStorageBucket(t *testing.T) {
	// GIVEN the synthesized app
	f := getFixture(t)
	tpl := f.templates[StorageStackName]

	// WHEN we look at the checkpoint bucket
	// THEN there are two buckets (checkpoints and their access logs); the checkpoint bucket
	// is versioned, encrypted, private, logged, with old versions expiring
	check(t, "two buckets", func() { tpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(2)) })
	check(t, "access logged", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"LoggingConfiguration": map[string]any{
				"DestinationBucketName": map[string]any{"Ref": logicalID(f.stacks.Storage.AccessLogs)},
				"LogFilePrefix":         "checkpoints/",
			},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
		})
	})
	check(t, "bucket properties", func() {
		tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
			}},
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Status": "Enabled", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": 90},
				}),
			})},
		})
	})
	check(t, "bucket retained", func() {
		tpl.HasResource(jsii.String("AWS::S3::Bucket"), map[string]any{"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
	})
	for _, name := range []string{"Name", "BucketName"} {
		if v := props(f.resources(StorageStackName, "AWS::S3::Bucket")[logicalID(f.stacks.Storage.Bucket)])[name]; v != nil {
			t.Errorf("bucket has a fixed %s %v; names must be generated", name, v)
		}
	}
}

func TestStorageBucketDeniesPlainHTTPAndIsNotPublic(t *testing.T) {
	// GIVEN the bucket policies: one for the checkpoints, one for their access logs
	f := getFixture(t)
	policies := f.resources(StorageStackName, "AWS::S3::BucketPolicy")
	if len(policies) != 2 {
		t.Fatalf("bucket policies: got %d, want 2", len(policies))
	}
	for id, p := range policies {
		var denyHTTP, denyOldTLS bool
		for _, s := range statements(dig(p, "Properties", "PolicyDocument")) {
			// THEN nothing is allowed to everyone
			if s["Effect"] == "Allow" && refersTo(s["Principal"], `"*"`) {
				t.Errorf("%s allows a public principal: %v", id, s)
			}
			// AND requests without TLS (or with TLS < 1.2) are denied to everyone
			if s["Effect"] == "Deny" && dig(s, "Condition", "Bool", "aws:SecureTransport") == "false" {
				denyHTTP = refersTo(s["Principal"], "*") && refersTo(s["Action"], "s3:*")
			}
			if s["Effect"] == "Deny" && dig(s, "Condition", "NumericLessThan", "s3:TlsVersion") != nil {
				denyOldTLS = true
			}
		}
		if !denyHTTP {
			t.Errorf("%s does not deny s3:* without aws:SecureTransport", id)
		}
		if !denyOldTLS {
			t.Errorf("%s does not deny TLS older than 1.2", id)
		}
	}
}

func TestStorageTables(t *testing.T) {
	// GIVEN the storage template
	f := getFixture(t)
	tpl := f.templates[StorageStackName]
	if n := len(f.resources(StorageStackName, "AWS::DynamoDB::Table")); n != 5 {
		t.Fatalf("tables: got %d, want 5", n)
	}
	tests := []struct {
		name     string
		id       string
		keys     []any
		attrs    []any
		indexKey []any
	}{
		{"interactions", logicalID(f.stacks.Storage.Interactions),
			[]any{map[string]any{"AttributeName": "user_id", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}},
			[]any{map[string]any{"AttributeName": "user_id", "AttributeType": "S"}, map[string]any{"AttributeName": "sk", "AttributeType": "S"}}, nil},
		{"popularity", logicalID(f.stacks.Storage.Popularity),
			[]any{map[string]any{"AttributeName": "item_id", "KeyType": "HASH"}},
			[]any{map[string]any{"AttributeName": "item_id", "AttributeType": "S"}, map[string]any{"AttributeName": "bucket", "AttributeType": "S"}, map[string]any{"AttributeName": "count", "AttributeType": "N"}},
			[]any{map[string]any{"AttributeName": "bucket", "KeyType": "HASH"}, map[string]any{"AttributeName": "count", "KeyType": "RANGE"}}},
		{"models", logicalID(f.stacks.Storage.Models),
			[]any{map[string]any{"AttributeName": "kind", "KeyType": "HASH"}},
			[]any{map[string]any{"AttributeName": "kind", "AttributeType": "S"}}, nil},
		{"availability", logicalID(f.stacks.Storage.Availability),
			[]any{map[string]any{"AttributeName": "list", "KeyType": "HASH"}, map[string]any{"AttributeName": "item_id", "KeyType": "RANGE"}},
			[]any{map[string]any{"AttributeName": "list", "AttributeType": "S"}, map[string]any{"AttributeName": "item_id", "AttributeType": "S"}}, nil},
		{"items", logicalID(f.stacks.Storage.Items),
			[]any{map[string]any{"AttributeName": "list", "KeyType": "HASH"}, map[string]any{"AttributeName": "item_id", "KeyType": "RANGE"}},
			[]any{map[string]any{"AttributeName": "list", "AttributeType": "S"}, map[string]any{"AttributeName": "item_id", "AttributeType": "S"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// WHEN we look at one table
			want := map[string]any{
				"KeySchema":                        tc.keys,
				"AttributeDefinitions":             assertions.Match_ArrayWith(&tc.attrs),
				"BillingMode":                      "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
				"SSESpecification":                 map[string]any{"SSEEnabled": true},
				"TableName":                        assertions.Match_Absent(),
			}
			if tc.indexKey != nil {
				want["GlobalSecondaryIndexes"] = []any{map[string]any{
					"IndexName": "top", "KeySchema": tc.indexKey, "Projection": map[string]any{"ProjectionType": "ALL"},
				}}
			} else {
				want["GlobalSecondaryIndexes"] = assertions.Match_Absent()
			}
			// THEN it has the serving code's key schema and the secure defaults
			check(t, tc.name, func() {
				tpl.TemplateMatches(map[string]any{"Resources": map[string]any{tc.id: map[string]any{
					"Type": "AWS::DynamoDB::Table", "Properties": want, "DeletionPolicy": "Retain",
				}}})
			})
		})
	}
}
