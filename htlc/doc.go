// Package htlc is the hash-time-locked swap system contract in plain Go:
// the native contract at Address on every Aspen chain, beside the gateway,
// with the Solidity interface of docs/IHTLC.sol (the same ABI, embedded here
// as JSON). execution/evm exposes it to the EVM as a precompile through the
// State interface; this package knows nothing of the EVM.
//
// A swap locks value (native coin with lock, an ERC-20 with lockToken) for
// a recipient under a hashlock and a timeout. Before the timeout anyone may
// claim it with the preimage, and the value goes to the recipient; from the
// timeout on anyone may refund it, and the value goes back to the sender.
// Exactly one of the two happens, once. Two such swaps on two chains under
// one hashlock, the second with the earlier timeout, make an atomic
// exchange between two parties who do not trust each other (aspen swap runs
// that protocol).
//
// Rules worth knowing:
//   - The hashlock is sha256 of a 32-byte preimage (as in Bitcoin and
//     Lightning HTLCs, so a swap can pair with one there).
//   - A timeout is a unix time in seconds, compared with the block's
//     TIMESTAMP: block heights of two subnets advance at unrelated rates (an
//     idle bft subnet makes no blocks at all), while their clocks agree. A
//     claim is accepted while block time < timeout, a refund once block
//     time >= timeout. lock refuses a timeout in the past and one more than
//     MaxLockDuration ahead (a timeout in milliseconds is the usual mistake).
//   - The id of a swap is keccak256("aspen/htlc/id" ‖ chain's subnet ID ‖
//     the contract's swap counter): unique on a chain, different across
//     chains, known from the Locked event or lock's return value.
//   - A claimed swap keeps its preimage; swap(id) returns it, so the other
//     party of an exchange can read it without scanning logs.
//   - lockToken pulls the tokens with transferFrom (approve Address first)
//     and checks with balanceOf that exactly amount arrived: fee-on-transfer
//     and rebasing tokens are refused. The swap is recorded before the token
//     is called, and marked claimed or refunded before tokens are paid out,
//     so a token that calls back in finds nothing to take twice. Each token
//     call runs under a fixed gas allowance (gas.go) that the call's price
//     includes.
//
// Storage layout: schema.go. Gas schedule: gas.go.
package htlc
