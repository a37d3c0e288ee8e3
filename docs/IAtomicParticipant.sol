// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title A participant of Aspen atomic plans (CROSSNET.md, "Atomic plans").
/// @notice Like an XA resource. The gateway of the leg's subnet (0xa5e0…0001) calls it,
///         each call under 500 000 gas, in three steps:
///
///         prepare(id, data)  the plan asks for this leg. Lock what the leg needs (tokens,
///                            a seat, a state change held back) and return true, or return
///                            false (or revert) to vote no. A no aborts the whole plan.
///         commit(id)         every leg voted yes: apply what prepare locked. msg.value is
///                            the leg's escrowed value. If commit reverts, the leg is
///                            reported as "commit failed" (AtomicFinished state 4) and the
///                            value goes back to the plan's submitter; the other legs stay
///                            committed. So commit must not fail after a yes.
///         abort(id)          the plan aborted (called only if prepare said yes): release
///                            what prepare locked. A revert is reported and ignored.
///
///         Each step is called at most once per plan and leg. While any runs,
///         IGateway(0xa5e0…0001).crossMsgOrigin() returns (mediator, submitter): the subnet
///         that coordinates the plan and the account that submitted it there. Check both
///         in prepare: anyone can submit a plan naming your contract. Only the gateway may
///         call these functions (require msg.sender == 0xa5e0…0001).
interface IAtomicParticipant {
    function prepare(bytes32 id, bytes calldata data) external returns (bool yes);
    function commit(bytes32 id) external payable;
    function abort(bytes32 id) external;
}
