// Package consensus defines the engine contract every Aspen consensus engine
// implements (solo, bft, pow): a deterministic state machine in the style of
// etcd's raft. Step and Tick feed it, Ready says what must happen now, Advance
// acknowledges that it happened, and NextTick says how long it may go
// without a tick, so a resting engine's driver sleeps. Engines do no I/O, read no clock and start no
// goroutines, so the driver can own one engine per subnet and the simulator can
// run hundreds of them in one goroutine from one seed.
//
// An engine is also a value, a Kind: its name, constructor, peer message
// check, certificate check, evidence and finality model. Kinds are
// registered (consensus/engines registers the built-in ones) and looked up
// by name, so the node, config, the CLI and the gateway's wiring never
// compare engine names or import an engine.
package consensus
