// Package driver runs one consensus engine: it owns the engine, feeds it
// ticks from an injected clock (waking only for the ticks the engine needs,
// LazyTicker) and inputs from the pool and peers, and
// carries out what its Ready says — persist, send, move the tentative head
// (commit, rewind and hand dropped transactions back to the pool), commit or
// mark final blocks through the executor, build and verify blocks — feeding
// the answers back. Engines stay pure; everything with side effects happens
// here. Run gives the driver a goroutine of its own; a caller that owns many
// drivers (the simulator) steps it instead (step.go).
package driver
