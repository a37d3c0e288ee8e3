// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// The private registry of a private subnet (docs/PRIVACY.md), a system contract at
/// 0xa5e0000000000000000000000000000000000004 on every Aspen chain. On a subnet created
/// without `--privacy private` every call reverts. ABI: private/registry/IPrivate.abi.json.
///
/// The validators order envelopes and decide them; they never see a private transaction's
/// plaintext. The contract is the mediator: an envelope commits when every recipient
/// confirmed the same resulting state hash by its deadline (DeadlineBlocks = 20 blocks after
/// the envelope's), and is rejected at the first reject, at a disagreeing hash, or by
/// expire after the deadline.
interface IPrivate {
    /// The caller's X25519 encryption key; again to rotate (the old key ID stops resolving).
    /// Reverts for a key another account holds. Returns keccak256("aspen/private/v1/key-id" ‖ key).
    function registerKey(bytes32 key) external returns (bytes32 keyId);
    function keyOf(address account) external view returns (bytes32 key);
    function accountOf(bytes32 keyId) external view returns (address account);
    /// The envelope nonce expected next from sender (0, 1, 2, …).
    function nextNonce(address sender) external view returns (uint64);

    /// An envelope as private.Envelope encodes it. Checked without any key: size, structure,
    /// chain and subnet, the sender's signature, the sender's nonce, every recipient's key
    /// registered. Anyone may submit it; the signature is the sender's. The envelope is kept
    /// only in the EnvelopeSubmitted log. id is the envelope's signing hash.
    function submitEnvelope(bytes calldata envelope) external returns (bytes32 id);
    /// A recipient's signed confirmation (private.Confirmation, RLP): verdict 1 confirm with
    /// the hash of its resulting group state, 2 reject. Anyone may relay it.
    function confirm(bytes calldata confirmation) external;
    /// Rejects an open round whose deadline has passed; anyone may call it.
    function expire(bytes32 id) external;
    /// status: 0 none, 1 open, 2 committed, 3 rejected.
    function round(bytes32 id) external view returns (uint8 status, uint64 deadline, uint32 recipients, uint32 confirmed, bytes32 stateHash);

    event KeyRegistered(address indexed account, bytes32 indexed keyId, bytes32 key);
    event EnvelopeSubmitted(bytes32 indexed id, address indexed sender, uint64 nonce, uint64 deadline, bytes envelope);
    event Confirmed(bytes32 indexed id, address indexed recipient, uint8 verdict, bytes32 stateHash);
    /// outcome: 2 committed (stateHash is the agreed one), 3 rejected (stateHash zero).
    event Verdict(bytes32 indexed id, uint8 outcome, bytes32 stateHash, string reason);
}
