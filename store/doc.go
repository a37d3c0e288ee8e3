// Package store is one subnet's Pebble database: blocks, commit certificates,
// receipts, the transaction index, the canonical chain and the EVM state, with
// every key declared in schema.go.
//
// A block is made durable by WriteBlock, which puts the block, its
// certificate, receipts, indexes, head pointer and the state changes the
// executor flushes during the call into one Pebble batch and syncs it. After a
// crash at any point, Open resumes at the last block whose batch was synced,
// and that block's whole state is readable.
//
// Beside the head the store keeps the finalized and the safe block. With an
// engine of instant finality all three are the same block. An engine with
// probabilistic finality commits tentative blocks (BlockWrite.Tentative),
// which Finalize and SetSafe later mark, and Rewind takes back (never below
// the finalized block), each in one synced batch.
package store
