// Package consensustest is the test suite every consensus engine must pass,
// run by each engine's own tests (the avalanchego pattern: one suite, every
// engine). It drives an engine exactly as the driver does, with a minimal
// in-memory application that builds empty blocks and accepts every block,
// and fails when an engine breaks the Ready contract (finality moving
// backwards, a head move rewinding a final block).
//
// This package's own tests run engines through the real driver, executor,
// store and mempool: solo and bft with latest = safe = finalized, and a
// scripted reorg of a test-only engine with finality at a depth.
package consensustest
