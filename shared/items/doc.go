// Package items keeps the items registered with a text after training (title,
// description, optional category) and where the serving model placed them: a DynamoDB
// table in AWS, a table of the local SQLite file otherwise, and a cache that re-reads
// the list at most every TTL. docs/item-cold-start.md.
package items
