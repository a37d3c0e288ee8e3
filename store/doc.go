// Package store is one subnet's Pebble database: blocks, commit certificates,
// receipts, the transaction index, the canonical chain and the EVM state, with
// every key declared in schema.go.
//
// A block is made durable by WriteBlock, which puts the block, its
// certificate, receipts, indexes, head pointer and the state changes the
// executor flushes during the call into one Pebble batch and syncs it. After a
// crash at any point, Open resumes at the last block whose batch was synced,
// and that block's whole state is readable.
package store
