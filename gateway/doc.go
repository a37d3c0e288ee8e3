// Package gateway is the gateway system contract in plain Go: the native
// contract at Address on every Aspen chain, with the Solidity interface of
// design/IGateway.sol (the same ABI, embedded here as JSON). execution/evm
// exposes it to the EVM as a precompile through the State interface; this
// package knows nothing of the EVM.
//
// Implemented: subnetId, parentId, createSubnet, join (BLS key and proof of
// possession checked), stake, leave, kill, subnet, children, fund, and
// crossMsgOrigin (always ("", 0) until top-down delivery exists), with their
// events. release, send and submitCheckpoint revert "not implemented yet".
// Storage layout: schema.go. Gas schedule: gas.go.
//
// Readers for nodes (the subnet manager): ReadSubnet, ReadChildren,
// ReadTopDown, ReadChildGenesis, ChainIDFor.
//
// Rules worth knowing:
//   - A subnet becomes Active (config 1) once it has minValidators seats and
//     minCollateral in total; fund messages queued before then are part of
//     its genesis (ReadChildGenesis). Every later join, stake and leave is a
//     new config, queued top-down as a ConfigChange with its number.
//   - A BLS key can hold one seat on this chain at a time (any subnet); a
//     leave or kill frees it.
//   - Names stay taken after a kill, so a chain ID is never reused.
//   - leave returns the collateral at once. CROSSNET.md wants it returned
//     once the child has applied the config without the validator, which
//     needs checkpoints (part 4); until then a leaver is paid immediately.
//   - fund's CrossMsgSent nonce is the source nonce (CROSSNET SrcNonce, the
//     one the msgId hashes); the position in the child's queue is
//     TopDownMsg.Nonce, which also counts config changes.
package gateway
