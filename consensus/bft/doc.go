// Package bft is Tendermint (Buchman, Kwon, Milosevic, "The latest gossip on
// BFT consensus", 2018, Algorithm 1) as a deterministic state machine behind
// consensus.Engine: propose, prevote and precommit with locking and rounds,
// stake-weighted proposers, timeouts in ticks, BLS-signed votes, and commit
// certificates made of one aggregate signature and a signer bitmap.
//
// The engine does no I/O, reads no clock and starts no goroutines. Its own
// votes and proposals come out in Ready.Persist before they come out in
// Ready.Send, and a consensus.Replay of those entries at start-up restores
// them, so a restarted validator never signs two different votes for one
// (height, round, step). Stateless helpers (CheckMessage, VerifyCommit,
// VerifyEvidence) serve gossip validation, block sync and slashing.
package bft
