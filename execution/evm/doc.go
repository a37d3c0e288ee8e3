// Package evm is the execution.Executor over go-ethereum's EVM and state: it
// builds and verifies blocks, commits them with their state to the store, and
// answers state queries and simulations (eth_call, eth_estimateGas, …) for
// the RPC layer. It is the only Aspen package that imports go-ethereum's
// core, core/vm, core/state and triedb.
//
// Every fork through Prague is active from block 0. Fees follow EIP-1559:
// the base fee is burned, the priority fee goes to the block's proposer, and
// there is no block reward. The system contracts — the gateway (package
// gateway), the HTLC contract (package htlc) and the objects manager
// (package objects) — are installed as
// precompiles on every EVM this package creates, for blocks and for calls;
// system.go is the one adapter that binds each to that EVM's state and call
// frames, gateway.go and htlc.go add what only their contract does.
//
// Executor.Witness re-executes a committed block for its execution witness
// (package execution/witness), and Stateless.Verify executes a block from a
// witness alone, through the same replay path as Execute.
//
// Not done: the EIP-2935/4788 system contracts and EIP-7002/7251 request
// queues of Prague are not run (BLOCKHASH is served from our own headers), and
// blob transactions are refused.
package evm
