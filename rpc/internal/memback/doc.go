// Package memback is an in-memory test chain for the rpc package's tests: a
// few blocks of real signed transactions of every type (legacy, EIP-2930,
// EIP-1559, EIP-7702) with receipts, logs and blooms, implementing
// rpc.Backend deterministically.
//
// It is not an EVM. A transaction moves value and pays gas at its effective
// price; a call to an account with code stores data[32:64] at slot data[:32]
// and emits a Stored(bytes32,bytes32) log; a call to Reverter reverts with
// Error("boom"). That is enough to exercise every RPC method with real data.
// The node's real backend (store + EVM + mempool) replaces it everywhere else.
package memback
