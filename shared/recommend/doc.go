// Package recommend answers "which items next for this user": personalised top-K from
// the NCF model, item-to-item similarity for users the model does not know but whose
// history it does, and popular items for everyone else (cold start). It also scores
// given items for a user, and exposes both as HTTP handlers.
//
// Seen items come from the interactions store on every call, over the user's whole
// history, so an interaction stored a moment ago is already excluded. docs/recommend.md
// defines the strategies and the confidence value.
package recommend
