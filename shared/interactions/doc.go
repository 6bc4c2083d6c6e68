// Package interactions stores user-item interactions (views, clicks, purchases) and the
// per-item popularity counts derived from them.
//
// Two implementations share one contract: DynamoStore (AWS, tables described in
// docs/interactions.md) and SQLiteStore (an embedded database, the local default).
// Writes are idempotent: an interaction is identified by (user, timestamp, item), so
// sending the same event twice stores it once. Popularity counts distinct users: a user
// adds one to an item's count the first time they interact with it, never again.
package interactions
