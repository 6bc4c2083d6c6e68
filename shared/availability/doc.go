// Package availability keeps the list of items that must not be recommended (sold out,
// withdrawn, expired), which operators change without retraining: a DynamoDB table in
// AWS, a table of the embedded SQLite file locally. Serving re-reads it at most every
// TTL (Cache), and every recommend strategy leaves its items out.
package availability
