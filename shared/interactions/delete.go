package interactions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"
)

// DeleteUser implements Store in one transaction: it records the user as forgotten now;
// for each item the user counted for,
// the (item, user) pair is removed and the item's count drops by one (an item no user
// counts for any more leaves the table); then every interaction of the user is deleted.
func (s *SQLiteStore) DeleteUser(ctx context.Context, userID string) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete user %q: %w", userID, err)
	}
	defer func() { _ = tx.Rollback() }()
	n, err := deleteUserTx(ctx, tx, userID, s.now())
	if err != nil {
		return 0, fmt.Errorf("delete user %q: %w", userID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete user %q: commit: %w", userID, err)
	}
	return n, nil
}

// Forgotten implements Store.
func (s *SQLiteStore) Forgotten(ctx context.Context, userID string) (time.Time, bool, error) {
	var at string
	err := s.db.QueryRowContext(ctx, `SELECT at FROM forgotten WHERE user_id = ?`, userID).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("forgotten %q: %w", userID, err)
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("forgotten %q: stored time: %w", userID, err)
	}
	return t, true, nil
}

func deleteUserTx(ctx context.Context, tx *sql.Tx, userID string, now time.Time) (int, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO forgotten (user_id, at) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET at = excluded.at`, userID, FormatTime(now)); err != nil {
		return 0, err
	}
	steps := []string{
		`UPDATE popularity SET count = count - 1 WHERE item_id IN
			(SELECT item_id FROM item_users WHERE user_id = ?1 AND item_id IN
				(SELECT item_id FROM interactions WHERE user_id = ?1))`,
		`DELETE FROM item_users WHERE user_id = ?1 AND item_id IN
			(SELECT item_id FROM interactions WHERE user_id = ?1)`,
		`DELETE FROM popularity WHERE count <= 0`,
	}
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM interactions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// forgottenKey is the popularity-table key that records when a user was forgotten. It
// starts with markerSep, which no item id (and so no marker key) does; it has no
// "bucket", so the "top" index never lists it.
func forgottenKey(userID string) string { return markerSep + "forgotten" + markerSep + userID }

// Forgotten implements Store: one consistent GetItem.
func (s *DynamoStore) Forgotten(ctx context.Context, userID string) (time.Time, bool, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.popularity),
		Key:            map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: forgottenKey(userID)}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("forgotten %q: get %s: %w", userID, s.popularity, err)
	}
	if out.Item == nil {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, stringAttr(out.Item, "at"))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("forgotten %q: stored time: %w", userID, err)
	}
	return t, true, nil
}

// DeleteUser implements Store. It records the user as forgotten now (PutItem), reads
// the keys of the user's partition (Query), then for each distinct item removes the
// user's pair marker (DeleteItem, conditional on the marker existing) and, for the
// caller that removed it, subtracts one from the item's count (deleting the item when no
// user is left); only then does it delete the interactions (BatchWriteItem). A retry
// after a failure therefore never subtracts twice; a marker removed whose count update
// then failed leaves the item counted one user too many (an over-count, never an
// under-count).
func (s *DynamoStore) DeleteUser(ctx context.Context, userID string) (int, error) {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.popularity),
		Item: map[string]types.AttributeValue{
			"item_id": &types.AttributeValueMemberS{Value: forgottenKey(userID)},
			"at":      &types.AttributeValueMemberS{Value: FormatTime(s.now())},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("delete user %q: put %s forgotten record: %w", userID, s.popularity, err)
	}
	keys, items, err := s.userKeys(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("delete user %q: %w", userID, err)
	}
	if err := s.uncount(ctx, userID, items); err != nil {
		return 0, fmt.Errorf("delete user %q: popularity: %w", userID, err)
	}
	reqs := make([]types.WriteRequest, len(keys))
	for i, sk := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: interactionKey(userID, sk)}}
	}
	if err := s.batchWrite(ctx, reqs); err != nil {
		return 0, fmt.Errorf("delete user %q: %w", userID, err)
	}
	return len(keys), nil
}

// userKeys returns the sort keys of the user's interactions and their distinct items.
func (s *DynamoStore) userKeys(ctx context.Context, userID string) ([]string, map[string]struct{}, error) {
	var keys []string
	items := map[string]struct{}{}
	p := dynamodb.NewQueryPaginator(s.client, &dynamodb.QueryInput{
		TableName:                 aws.String(s.interactions),
		KeyConditionExpression:    aws.String("user_id = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: userID}},
		ProjectionExpression:      aws.String("sk, item_id"),
		ConsistentRead:            aws.Bool(true),
		Limit:                     s.limit(0),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("query %s: %w", s.interactions, err)
		}
		for _, item := range page.Items {
			keys = append(keys, stringAttr(item, "sk"))
			items[stringAttr(item, "item_id")] = struct{}{}
		}
	}
	return keys, items, nil
}

// uncount takes the user out of the popularity of each item, a few items at a time.
func (s *DynamoStore) uncount(ctx context.Context, userID string, items map[string]struct{}) error {
	var g errgroup.Group
	g.SetLimit(s.updaters)
	for item := range items {
		g.Go(func() error { return s.uncountPair(ctx, item, userID) })
	}
	return g.Wait()
}

// uncountPair removes the pair's marker and, when it existed, subtracts one from the
// item's count.
func (s *DynamoStore) uncountPair(ctx context.Context, itemID, userID string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:           aws.String(s.popularity),
		Key:                 map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: MarkerKey(itemID, userID)}},
		ConditionExpression: aws.String("attribute_exists(item_id)"),
	})
	var gone *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &gone):
		return nil // not counted (or taken out by an earlier attempt)
	case err != nil:
		return fmt.Errorf("delete %s marker of item %q: %w", s.popularity, itemID, err)
	}
	key := map[string]types.AttributeValue{"item_id": &types.AttributeValueMemberS{Value: itemID}}
	zero := &types.AttributeValueMemberN{Value: "0"}
	out, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.popularity),
		Key:                       key,
		UpdateExpression:          aws.String("ADD #c :n"),
		ConditionExpression:       aws.String("#c > :zero"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "-1"}, ":zero": zero},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if errors.As(err, &gone) {
		return nil // nothing left to subtract from
	}
	if err != nil {
		return fmt.Errorf("update %s item %q: %w", s.popularity, itemID, err)
	}
	if c, ok := out.Attributes["count"].(*types.AttributeValueMemberN); !ok || c.Value != "0" {
		return nil
	}
	// No user counts for the item any more: it leaves the table, unless a writer
	// counted one in the meantime.
	_, err = s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.popularity),
		Key:                       key,
		ConditionExpression:       aws.String("#c = :zero"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": zero},
	})
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("delete %s item %q: %w", s.popularity, itemID, err)
	}
	return nil
}
