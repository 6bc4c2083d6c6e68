// Package storage provides the stateful part of mlbundle: the versioned checkpoint bucket
// and the DynamoDB tables for interactions, item popularity and the active-model pointer,
// with the key schemas that the serving code (shared/interactions, shared/modelstore)
// reads and writes. Everything here is retained when the stack is deleted.
package storage
