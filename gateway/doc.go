// Package gateway is the gateway system contract in plain Go: the native
// contract at Address on every Aspen chain, with the Solidity interface of
// design/IGateway.sol (the same ABI, embedded here as JSON). execution/evm
// exposes it to the EVM as a precompile; this package knows nothing of the EVM.
//
// Implemented so far: subnetId() and parentId(). Every other function of
// IGateway reverts with "gateway: <name> is not implemented yet".
package gateway
