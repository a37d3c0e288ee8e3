// Package consensustest is the test suite every consensus engine must pass,
// run by each engine's own tests (the avalanchego pattern: one suite, every
// engine). It drives an engine exactly as the driver does, with a minimal
// in-memory application that builds empty blocks and accepts every block.
package consensustest
