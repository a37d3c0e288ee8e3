// Package objects is the objects manager system contract in plain Go: the
// native contract at Address on every Aspen chain, beside the gateway and
// the HTLC contract, with the Solidity interface of docs/IObjects.sol (the
// same ABI, embedded here as JSON). It is the EVM face of package
// optimistic's Store, which keeps its objects in this contract's storage
// (layout: optimistic/schema.go). execution/evm exposes it to the EVM as a
// precompile through the State interface and runs Process as system work
// at the start of every block; this package knows nothing of the EVM.
//
// What is wired: native notes. deposit mints a note of msg.value to the
// caller; transfer, split and merge are the store's; withdraw pays an
// unconditional note's value out of the contract's balance. So the
// contract's balance is the sum of its native notes (live, frozen and
// conditional alike). Not wired yet: ERC-20 and generic objects, move and
// receive (receipts from other subnets with finality evidence), Learn fed
// from checkpoints — see docs/CROSSNET.md, "Optimistic moves".
//
// Gas schedule: gas.go.
package objects
