// Package gateway is the gateway system contract in plain Go: the native
// contract at Address on every Aspen chain, with the Solidity interface of
// docs/IGateway.sol (the same ABI, embedded here as JSON). execution/evm
// exposes it to the EVM as a precompile through the State interface; this
// package knows nothing of the EVM.
//
// Implemented: every function of IGateway with its events. The parent side
// of bottom-up (submitCheckpoint, checkpoint.go), the source side of
// release and send (route.go), delivery at the destination (deliver.go:
// Deliver, also for the child's top-down path), the child side of top-down
// (ApplyTopDown). Storage layout: schema.go. Gas schedule: gas.go and
// routegas.go.
//
// Readers for nodes and relayers: ReadSubnet, ReadChildren, ReadTopDown,
// ReadChildGenesis, ChainIDFor, ReadConfigSet, ReadPendingReleases,
// LastCheckpoint, UpApplied, UpNonce, ReadUp, CrossMsgOrigin.
//
// Rules worth knowing:
//   - A subnet becomes Active (config 1) once it has minValidators seats and
//     minCollateral in total; fund messages queued before then are part of
//     its genesis (ReadChildGenesis). Every later join, stake and leave is a
//     new config, queued top-down as a ConfigChange with its number, and the
//     set after it is kept under that number (ReadConfigSet), in seat order:
//     the order of checkpoint signer bitmaps.
//   - A BLS key can hold one seat of a subnet at a time; a leave or kill
//     frees it.
//   - Names stay taken after a kill, so a chain ID is never reused.
//   - leave on a Registered subnet returns the collateral at once; on an
//     Active one it becomes a pending release, paid (with ValidatorLeft)
//     when a committed checkpoint's AppliedConfig reaches the leave's config,
//     or when the subnet is killed.
//   - A checkpoint is accepted only in order (the next height, naming the
//     last one), signed by a config from the last checkpoint's on, by more
//     than two thirds of that set's power (PowerOf); resubmitting the last
//     one is a successful no-op. One that would pay out more than the
//     child's circulating supply is rejected with CheckpointRejected, not a
//     revert.
//   - A PoW child's checkpoints are signed by nobody: submitPowCheckpoint
//     (powcheckpoint.go) takes a segment of its headers with enough work,
//     checked by the chain's PowVerifier, and a state proof of its
//     gateway's counters and up accumulator (NextUpAcc); submitCheckpoint
//     refuses PoW children.
//   - fund's, send's and release's CrossMsgSent nonce is the source nonce
//     (CROSSNET SrcNonce, the one the msgId hashes); the position in a
//     child's queue is TopDownMsg.Nonce, which also counts config changes;
//     the position in the up queue is the up nonce (UpNonce).
//   - A killed child, or one that committed no checkpoint for its stall
//     window of parent blocks, is frozen for good (hatch.go): no more
//     checkpoints, funds or messages; each account claims its balance in
//     the last checkpoint's state root with a Merkle proof, once, within the
//     child's circulating supply, and reclaim bounces the top-down messages
//     that state does not hold.
//   - proveFraud (fraud.go) re-executes, through the chain's FraudVerifier,
//     a child block a committed checkpoint vouches for, from its witness
//     and this gateway's own top-down queue; a block that departs from its
//     header freezes the child (claims fall back to the checkpoint before)
//     and slashes the checkpoint's signers, 32 a call, 10% to the caller.
//   - A delivered call runs under CrossMsgCallGas; while it runs, the
//     gateway refuses submitCheckpoint and kill.
//   - Atomic plans (atomic.go) are two-phase commit mediated by the legs'
//     lowest common ancestor; their phases are ordinary Call messages from
//     one gateway to another's AtomicAddress, which no account can send.
//     Readers: ReadAtomicPlan (mediator), ReadAtomicLeg (a leg's subnet).
package gateway
