// Package driver runs one consensus engine: the one goroutine that owns it,
// feeds it ticks from an injected clock and inputs from the pool and peers,
// and carries out what its Ready says — persist, send, commit final blocks
// through the executor, build and verify blocks — feeding the answers back.
// Engines stay pure; everything with side effects happens here.
package driver
