package recommend

// The confidence of an answer is a number in [0, 1] that orders strategies and, within
// one, grows with the evidence behind it (docs/recommend.md):
//
//	ncf       0.5 + 0.5 * n/(n+10)        n: distinct items in the user's stored history
//	item_knn  0.5 * (m/n) * m/(m+5)        m: of those, the items the model knows
//	popular   0.25 * s                     s: score of the first item returned, its
//	                                       distinct users over the top known item's
//
// So a personalised model answer is always >= 0.5, an item-to-item answer < 0.5 and a
// popularity answer <= 0.25.

// ncfHalf is the history size at which the ncf confidence is halfway from 0.5 to 1.
const ncfHalf = 10

// knnHalf is the number of known seen items at which item_knn reaches half its ceiling.
const knnHalf = 5

func ncfConfidence(seen int) float64 {
	n := float64(seen)
	return 0.5 + 0.5*n/(n+ncfHalf)
}

func knnConfidence(known, seen int) float64 {
	if known <= 0 || seen <= 0 {
		return 0
	}
	m, n := float64(known), float64(seen)
	return 0.5 * (m / n) * m / (m + knnHalf)
}

func popularConfidence(score float64) float64 {
	return 0.25 * min(max(score, 0), 1)
}
