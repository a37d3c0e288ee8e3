// Package execution is the contract between consensus and the state machine:
// an engine asks for a block to be built or verified, and the driver commits a
// finalized block with its certificate. The EVM implementation lives in
// execution/evm; engines and the driver see only the interfaces here.
package execution
