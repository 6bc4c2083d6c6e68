package recommend

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/items"
)

// TextModel is what a model needs to place and score items registered after training
// (*ncf.Model with an item_text section). A Model without it serves no new items.
type TextModel interface {
	PlacesText() bool
	ItemEmbeddingDim() int
	PlaceText(ctx context.Context, texts []string) ([][]float32, error)
	ScoreItems(ctx context.Context, user int64, items [][]float32) ([]float32, error)
}

// NewItems lends the items registered after training (shared/items.Cache).
type NewItems interface {
	Items(ctx context.Context) ([]items.Item, time.Time, error)
}

// WithNewItems makes the items of n candidates of every answer of a model that can
// place items by text, scored exactly as the trained items are (docs/item-cold-start.md).
func WithNewItems(n NewItems) Option {
	return func(s *Service) { s.newItems = n; s.placedMemo = map[placedKey][]float32{} }
}

// placedItem is a registered item the serving model does not know, placed by its text.
type placedItem struct {
	id, category string
	emb          []float32 // raw item embedding (what ScoreItems takes)
	vec          []float32 // emb L2-normalised (comparable with the model's item vectors)
}

type placedKey struct {
	version, id string
	updated     time.Time
}

// placed returns the registered items model m does not know, each placed by m: the
// stored embedding when m placed it at registration, else placed now from the text and
// remembered for m's version. Nil when m cannot place text or nothing is registered. A
// failure to read or place is logged and leaves the new items out of this answer.
func (s *Service) placed(ctx context.Context, m Model) []placedItem {
	tm, ok := m.(TextModel)
	if s.newItems == nil || !ok || !tm.PlacesText() {
		return nil
	}
	list, _, err := s.newItems.Items(ctx)
	if err != nil {
		api.Logger(ctx).WarnContext(ctx, "registered items unreadable; answering without them", "error", err.Error())
		return nil
	}
	out := make([]placedItem, 0, len(list))
	var todo []int // indices into out still to place
	var texts []string
	var updated []time.Time // of each todo item
	s.placedMu.Lock()
	for _, it := range list {
		if _, known := m.ItemIndex(it.ItemID); known {
			continue
		}
		p := placedItem{id: it.ItemID, category: it.Category}
		key := placedKey{m.Version(), it.ItemID, it.UpdatedAt}
		switch {
		case it.ModelVersion == m.Version() && len(it.Embedding) == tm.ItemEmbeddingDim():
			p.emb = it.Embedding
		case s.placedMemo[key] != nil:
			p.emb = s.placedMemo[key]
		default:
			todo = append(todo, len(out))
			texts = append(texts, it.Joined())
			updated = append(updated, it.UpdatedAt)
		}
		out = append(out, p)
	}
	s.placedMu.Unlock()
	if len(todo) > 0 {
		embs, err := tm.PlaceText(ctx, texts)
		if err != nil {
			api.Logger(ctx).WarnContext(ctx, "placing registered items failed; answering without them", "error", err.Error())
			return nil
		}
		s.placedMu.Lock()
		for k := range s.placedMemo { // forget what older model versions placed
			if k.version != m.Version() {
				delete(s.placedMemo, k)
			}
		}
		for j, i := range todo {
			out[i].emb = embs[j]
			s.placedMemo[placedKey{m.Version(), out[i].id, updated[j]}] = embs[j]
		}
		s.placedMu.Unlock()
	}
	for i := range out {
		out[i].vec = normalised(out[i].emb)
	}
	return out
}

func normalised(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Max(math.Sqrt(n), 1e-12)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

// eligible returns the placed items the filter and the query's category let through.
func eligible(placed []placedItem, f filter, q Query) []placedItem {
	out := placed[:0:0]
	for _, p := range placed {
		if _, ok := f.ids[p.id]; ok {
			continue
		}
		if q.Category != "" && p.category != q.Category {
			continue
		}
		out = append(out, p)
	}
	return out
}

// scoredNew is a new item with its score in the strategy's scale.
type scoredNew struct {
	id    string
	score float32
}

// byDot scores each placed item by the dot product of its normalised vector with c.
func byDot(placed []placedItem, c []float32) []scoredNew {
	out := make([]scoredNew, len(placed))
	for i, p := range placed {
		var dot float32
		for d, v := range p.vec {
			dot += v * c[d]
		}
		out[i] = scoredNew{p.id, dot}
	}
	return out
}

// mergeRanked ranks the trained items idx (best first, by scores) together with the new
// items, and cuts the page q asks for; new items carry ColdStart. Ties keep trained
// items first.
func mergeRanked(m Model, scores []float32, idx []int, news []scoredNew, q Query, score func(float32) float64) []Item {
	slices.SortStableFunc(news, func(a, b scoredNew) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0
	})
	depth := q.Offset + q.K
	merged := make([]Item, 0, min(depth, len(idx)+len(news)))
	i, j := 0, 0
	for len(merged) < depth && (i < len(idx) || j < len(news)) {
		if j >= len(news) || i < len(idx) && scores[idx[i]] >= news[j].score {
			merged = append(merged, Item{ItemID: m.ItemID(idx[i]), Score: score(scores[idx[i]])})
			i++
		} else {
			merged = append(merged, Item{ItemID: news[j].id, Score: score(news[j].score), ColdStart: true})
			j++
		}
	}
	from, to := page(len(merged), q)
	out := merged[from:to:to]
	for r := range out {
		out[r].Rank = from + r + 1
	}
	return out
}
