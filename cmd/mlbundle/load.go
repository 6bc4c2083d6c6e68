package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/interactions"
)

// loadBatch is how many interactions one Add writes.
const loadBatch = 500

// loadCmd reads interactions (JSONL) into the configured store.
func loadCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageErrorf("load-interactions wants <file.jsonl>")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	b, err := bundle.Open(ctx, cfg, bundle.Options{MetricsOut: io.Discard, Functions: []string{bundle.Ingest}})
	if err != nil {
		return err
	}
	defer b.Close()
	n, err := loadInteractions(ctx, b.Interactions, f, args[0])
	if err != nil {
		return err
	}
	where := cfg.InteractionsDB
	if cfg.UsesDynamo() {
		where = "dynamodb table " + cfg.InteractionsTable
	}
	fmt.Fprintf(stdout, "loaded %d interactions into %s\n", n, where)
	return nil
}

// record is one JSONL line, in the training data's format: user_id and item_id
// (strings or integers), timestamp (RFC 3339 or epoch seconds), optional event
// and weight.
type record struct {
	UserID    json.RawMessage `json:"user_id"`
	ItemID    json.RawMessage `json:"item_id"`
	Timestamp json.RawMessage `json:"timestamp"`
	Event     string          `json:"event"`
	Weight    *float64        `json:"weight"`
}

// loadInteractions adds every line of r to s in batches; a bad line stops the load
// with an error naming the file, line and field.
func loadInteractions(ctx context.Context, s interactions.Store, r io.Reader, name string) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var batch []interactions.Interaction
	total, line := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.Add(ctx, batch); err != nil {
			return fmt.Errorf("%s: batch ending at line %d: %w", name, line, err)
		}
		total += len(batch)
		batch = batch[:0]
		return nil
	}
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		x, err := parseRecord(text)
		if err != nil {
			return total, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		batch = append(batch, x)
		if len(batch) == loadBatch {
			if err := flush(); err != nil {
				return total, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return total, fmt.Errorf("%s line %d: %w", name, line+1, err)
	}
	return total, flush()
}

func parseRecord(text []byte) (interactions.Interaction, error) {
	var rec record
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return interactions.Interaction{}, fmt.Errorf("not an interaction object: %w", err)
	}
	user, err := idField("user_id", rec.UserID)
	if err != nil {
		return interactions.Interaction{}, err
	}
	item, err := idField("item_id", rec.ItemID)
	if err != nil {
		return interactions.Interaction{}, err
	}
	ts, err := timeField(rec.Timestamp)
	if err != nil {
		return interactions.Interaction{}, err
	}
	return interactions.Interaction{UserID: user, ItemID: item, Time: ts, Event: rec.Event, Weight: rec.Weight}, nil
}

func idField(field string, raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s, nil
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return strconv.FormatInt(n, 10), nil
	}
	return "", fmt.Errorf("field %s: want a non-empty string or an integer", field)
}

func timeField(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("field timestamp: %q is not RFC 3339", s)
	}
	var secs float64
	if json.Unmarshal(raw, &secs) == nil && !math.IsNaN(secs) && secs >= 0 {
		whole, frac := math.Modf(secs)
		return time.Unix(int64(whole), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("field timestamp: want RFC 3339 text or epoch seconds")
}
