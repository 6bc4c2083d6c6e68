package recommend

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contentml/mlbundle/shared/benchtest"
	"github.com/contentml/mlbundle/shared/interactions"
	"github.com/contentml/mlbundle/shared/ncf"
	"github.com/contentml/mlbundle/shared/onnx"
)

// qualityData is what BenchmarkRecommendQuality serves from: every user's stored
// history, the held-out item of known users and the cold-start users (held out
// of training; their history is stored, their latest item is the target).
type qualityData struct {
	history map[string][]string
	target  map[string]string
	cold    map[string]string
}

// loadQualityData reads the ml-100k benchmark split (scripts/bench.sh data); in
// fast mode it makes a deterministic history for every user of the fixture.
func loadQualityData(b *testing.B, users []string, m *ncf.Model) qualityData {
	d := qualityData{history: map[string][]string{}, target: map[string]string{}, cold: map[string]string{}}
	if benchtest.Mode() == "fast" {
		for u, user := range users {
			for i := u % 7; i < m.NumItems() && len(d.history[user]) < 12; i += 7 {
				d.history[user] = append(d.history[user], m.ItemID(i))
			}
		}
		return d
	}
	f, err := os.Open(benchtest.DataFile(b, "ml100k-train.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r struct {
			User string `json:"user_id"`
			Item string `json:"item_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			b.Fatal(err)
		}
		d.history[r.User] = append(d.history[r.User], r.Item)
	}
	readJSON(b, benchtest.DataFile(b, "ml100k-test.json"), &d.target)
	var cold map[string]struct {
		History []string `json:"history"`
		Target  string   `json:"target"`
	}
	readJSON(b, benchtest.DataFile(b, "ml100k-coldstart.json"), &cold)
	for u, c := range cold {
		d.history[u], d.cold[u] = c.History, c.Target
	}
	return d
}

func readJSON(b *testing.B, path string, v any) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		b.Fatalf("%s: %v", path, err)
	}
}

// BenchmarkRecommendQuality asks the Go service (trained ml-100k checkpoint,
// SQLite store holding every user's training history) for top-10 with
// exclude_seen for every user of the model and every cold-start user, and
// checks: no answer holds a seen item (recommend.seen_in_topk, over every user);
// the hit rate of the held-out item among the known users (full ranking through
// the serving path); and the hit rate of the cold-start answer (item-to-item
// from the stored history) against the popular list on the same users.
func BenchmarkRecommendQuality(b *testing.B) {
	benchInit(b)
	dir := benchtest.Checkpoint(b, "ncf-ml100k")
	ctx := context.Background()
	m, err := ncf.Load(ctx, dir.Manifest, dir.Path, onnx.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	var users []string
	readJSON(b, filepath.Join(dir.Path, dir.Manifest.NCF.UserIDsFile), &users)
	data := loadQualityData(b, users, m)
	store, err := interactions.OpenSQLite(ctx, filepath.Join(b.TempDir(), "i.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []interactions.Interaction
	for user, items := range data.history {
		for i, item := range items {
			batch = append(batch, interactions.Interaction{UserID: user, ItemID: item, Time: t0.Add(time.Duration(i) * time.Second)})
			if len(batch) == 500 {
				if err := store.Add(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	if err := store.Add(ctx, batch); err != nil {
		b.Fatal(err)
	}
	svc := New(one{m}, store, nil)
	for b.Loop() {
		var seenHits, answers, hits, coldHits, popHits, coldKNN int
		ask := func(user string) map[string]bool {
			res, err := svc.Recommend(ctx, user, 10, true)
			if err != nil {
				b.Fatalf("recommend %s: %v", user, err)
			}
			seen := map[string]bool{}
			for _, it := range data.history[user] {
				seen[it] = true
			}
			top := map[string]bool{}
			for _, it := range res.Items {
				top[it.ItemID] = true
				if seen[it.ItemID] {
					seenHits++
				}
			}
			if _, cold := data.cold[user]; cold && res.Strategy == StrategyItemKNN {
				coldKNN++
			}
			answers++
			return top
		}
		for _, user := range users {
			if top := ask(user); data.target[user] != "" && top[data.target[user]] {
				hits++
			}
		}
		for user, target := range data.cold {
			if ask(user)[target] {
				coldHits++
			}
			if popularTop(m, data.history[user])[target] {
				popHits++
			}
		}
		benchtest.Check(b, "recommend.seen_in_topk", float64(seenHits), "items", map[string]any{"answers": answers, "k": 10})
		if len(data.target) > 0 {
			benchtest.Check(b, "recommend.serving_full_recall@10", float64(hits)/float64(len(data.target)), "",
				map[string]any{"users": len(data.target)})
		}
		if n := len(data.cold); n > 0 {
			extra := map[string]any{"users": n, "item_knn_answers": coldKNN, "popular_hr@10": float64(popHits) / float64(n)}
			benchtest.Check(b, "recommend.coldstart_hr@10", float64(coldHits)/float64(n), "", extra)
		}
	}
}

// popularTop is the popularity peer for a cold-start user: the checkpoint's
// most popular items minus the user's history, top 10.
func popularTop(m *ncf.Model, history []string) map[string]bool {
	seen := map[string]bool{}
	for _, it := range history {
		seen[it] = true
	}
	top := map[string]bool{}
	for _, p := range m.Popular() {
		if len(top) == 10 {
			break
		}
		if !seen[p.ItemID] {
			top[p.ItemID] = true
		}
	}
	return top
}
