package modelstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contentml/mlbundle/shared/checkpoint"
)

// encodePointer is the models-table item of a pointer: kind, version, created_at and,
// when set, promoted_at, promoted_by, reason, pinned, previous_version and
// previous_created_at (the same names as the ACTIVE file's JSON, flattened).
func encodePointer(a checkpoint.Active) map[string]types.AttributeValue {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{
		"kind": s(string(a.Kind)), "version": s(a.Version), "created_at": s(a.CreatedAt.UTC().Format(timeKey)),
	}
	if !a.PromotedAt.IsZero() {
		item["promoted_at"] = s(a.PromotedAt.UTC().Format(timeKey))
	}
	if a.PromotedBy != "" {
		item["promoted_by"] = s(a.PromotedBy)
	}
	if a.Reason != "" {
		item["reason"] = s(a.Reason)
	}
	if a.Pinned {
		item["pinned"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if a.Previous != nil {
		item["previous_version"] = s(a.Previous.Version)
		item["previous_created_at"] = s(a.Previous.CreatedAt.UTC().Format(timeKey))
	}
	return item
}

// decodePointer reads an item written by encodePointer (or by an older writer, which
// stored kind, version and created_at only).
func decodePointer(kind checkpoint.Kind, item map[string]types.AttributeValue) (checkpoint.Active, error) {
	str := func(name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	at := func(name string) (time.Time, error) {
		if str(name) == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, str(name))
		if err != nil {
			return t, fmt.Errorf("%s: %w", name, err)
		}
		return t, nil
	}
	a := checkpoint.Active{Kind: kind, Version: str("version"), PromotedBy: str("promoted_by"), Reason: str("reason")}
	if a.Version == "" || str("created_at") == "" {
		return a, errors.New("lacks version or created_at")
	}
	var errs []error
	var err error
	a.CreatedAt, err = at("created_at")
	errs = append(errs, err)
	a.PromotedAt, err = at("promoted_at")
	errs = append(errs, err)
	if b, ok := item["pinned"].(*types.AttributeValueMemberBOOL); ok {
		a.Pinned = b.Value
	}
	if v := str("previous_version"); v != "" {
		prev := checkpoint.Previous{Version: v}
		prev.CreatedAt, err = at("previous_created_at")
		errs = append(errs, err)
		a.Previous = &prev
	}
	return a, errors.Join(errs...)
}
