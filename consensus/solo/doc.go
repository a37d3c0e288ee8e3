// Package solo is the single-sequencer engine: one validator builds and seals
// every block, and a sealed block is final at once. It is the dev-mode engine
// and the one app chains with a trusted sequencer use.
//
// Timing is in ticks (the driver decides how long one is): a block is sealed
// once BlockTime ticks have passed and transactions wait, at once when the pool
// holds a full block, and, when nothing waits, an empty block at most every
// IdleInterval ticks so that timestamps and the base fee keep moving without
// filling the disk of an idle subnet.
package solo
