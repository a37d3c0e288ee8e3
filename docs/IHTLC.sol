// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Aspen hash-time-locked swaps — a system contract on every Aspen chain.
/// @notice A native contract at the same address on every chain, beside the gateway:
///         HTLC = 0xa5e0000000000000000000000000000000000002
///         A swap locks value for a recipient under a hashlock (sha256 of a 32-byte
///         preimage) and a timeout (a unix time in seconds, compared with
///         block.timestamp). Before the timeout anyone may claim it with the preimage
///         (the value goes to the recipient); from the timeout on anyone may refund it
///         (the value goes back to the sender). Every failure reverts with a readable
///         reason string. `aspen swap` runs a two-chain exchange with it.
interface IHTLC {
    enum Status { None, Locked, Claimed, Refunded }

    /// A swap was made; token is address(0) for native coin.
    event Locked(bytes32 indexed id, address indexed sender, address indexed recipient, address token, uint256 amount, bytes32 hashlock, uint64 timeout);
    /// A swap was claimed: its value went to recipient and preimage is public.
    event Claimed(bytes32 indexed id, address indexed recipient, bytes32 preimage);
    /// A swap timed out and its value went back to sender.
    event Refunded(bytes32 indexed id, address indexed sender);

    /// Lock msg.value for recipient. timeout: unix seconds, in the future and at most
    /// 30 days ahead. Returns the swap's id (also in Locked).
    function lock(bytes32 hashlock, address recipient, uint64 timeout) external payable returns (bytes32 id);

    /// Lock amount of an ERC-20 for recipient: the contract pulls it with
    /// transferFrom(msg.sender, HTLC, amount), so approve HTLC first. Tokens that
    /// deliver other than exactly amount (fee-on-transfer) are refused.
    function lockToken(address token, uint256 amount, bytes32 hashlock, address recipient, uint64 timeout) external returns (bytes32 id);

    /// Pay the swap to its recipient, given sha256(preimage) == hashlock, while
    /// block.timestamp < timeout.
    function claim(bytes32 id, bytes32 preimage) external;

    /// Pay the swap back to its sender once block.timestamp >= timeout.
    function refund(bytes32 id) external;

    /// A swap as stored; status None for an unknown id. preimage is zero until claimed.
    function swap(bytes32 id) external view returns (address sender, address recipient, address token, uint256 amount, bytes32 hashlock, uint64 timeout, Status status, bytes32 preimage);
}
