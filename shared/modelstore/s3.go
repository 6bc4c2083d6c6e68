package modelstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3API is the part of the S3 client the store uses (*s3.Client has it).
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// S3 is a model store in a bucket, under a prefix ("models/" by default). Against
// a custom endpoint (moto_server, LocalStack) build the client with path-style
// addressing (config.S3 does).
type S3 struct {
	Client S3API
	Bucket string
	Prefix string
}

var _ Store = (*S3)(nil)

// NewS3 returns the store in bucket under prefix; a non-empty prefix without a
// trailing slash gets one.
func NewS3(client S3API, bucket, prefix string) *S3 {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{Client: client, Bucket: bucket, Prefix: prefix}
}

// Where returns s3://bucket/prefix+key.
func (s *S3) Where(key string) string { return "s3://" + s.Bucket + "/" + s.Prefix + key }

// Get opens the object of key.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Prefix + key)},
		quietChecksum)
	if err != nil {
		return nil, s.wrap("get", key, err)
	}
	return out.Body, nil
}

// Put uploads key. The body is buffered when r cannot seek (the SDK signs the
// payload), so Put suits checkpoint-sized files, not unbounded streams.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) error {
	if err := checkKey(key); err != nil {
		return err
	}
	body, ok := r.(io.ReadSeeker)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("put %s: %w", s.Where(key), err)
		}
		body = bytes.NewReader(data)
	}
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Prefix + key), Body: body})
	if err != nil {
		return s.wrap("put", key, err)
	}
	return nil
}

// List pages through the keys under prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Prefix + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, strings.TrimPrefix(aws.ToString(o.Key), s.Prefix))
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// quietChecksum stops the SDK from logging a line for every object stored
// without a checksum (LocalStack-compatible endpoints, older uploads); Fetch
// checks sha256 itself.
func quietChecksum(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

func (s *S3) wrap(op, key string, err error) error {
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk), errors.As(err, &api) && api.ErrorCode() == "NotFound":
		return fmt.Errorf("%s %s: %w", op, s.Where(key), ErrNotFound)
	case errors.As(err, &nsb):
		return fmt.Errorf("%s %s: bucket %s does not exist: %w", op, s.Where(key), s.Bucket, ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, s.Where(key), err)
}
