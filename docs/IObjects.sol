// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Aspen objects manager — a system contract on every Aspen chain.
/// @notice A native contract at the same address on every chain, beside the gateway
///         and the HTLC contract:
///         OBJECTS = 0xa5e0000000000000000000000000000000000003
///         It holds state objects (docs/CROSSNET.md, "Optimistic moves"): here, notes of
///         the chain's native coin. Each has an owner and a dependency list of claims
///         about other subnets' blocks; a note with an empty list is ordinary value. A
///         deposit mints a note; owners transfer, split and merge notes (a merge's note
///         depends on the union of its inputs' claims; an input depending on fewer is
///         frozen until they resolve); withdraw pays an unconditional note out. Every
///         failure reverts with a readable reason string. Verdicts on claims reach the
///         notes as system work at the start of each block (ClaimDecided, Settled,
///         Deleted, Restored, FrozenDestroyed).
interface IObjects {
    enum Kind { None, Native, ERC20, Generic }

    /// A claim: the block of subnet at height has hash hash.
    struct Claim { string subnet; uint64 height; bytes32 hash; }

    /// An object was created for owner (a deposit, a split's or merge's output).
    event Created(bytes32 indexed id, address indexed owner, uint256 amount);
    /// An object was destroyed as the input of a split, merge or withdrawal.
    event Consumed(bytes32 indexed id, address indexed owner, uint256 amount);
    /// An object now belongs to to.
    event Transferred(bytes32 indexed id, address indexed to);
    /// A merge froze input id until claim (one event per claim it lacked) resolves.
    event Frozen(bytes32 indexed id, Claim claim);
    /// An object's value left the manager to owner.
    event Withdrawn(bytes32 indexed id, address indexed owner, uint256 amount);
    /// A claim was decided; expired: it reached its deadline undecided (false).
    event ClaimDecided(Claim claim, bool verdict, bool expired);
    /// A true claim left id's dependencies; unconditional: none remain.
    event Settled(bytes32 indexed id, Claim claim, bool unconditional);
    /// An object depending on a false claim was deleted.
    event Deleted(bytes32 indexed id, address indexed owner, uint256 amount);
    /// A frozen input is live again: one of its pending claims is false.
    event Restored(bytes32 indexed id, address indexed owner, uint256 amount);
    /// A frozen input was destroyed: every pending claim is true.
    event FrozenDestroyed(bytes32 indexed id, address indexed owner, uint256 amount);

    /// Mint a native note of msg.value (at least 1 wei) to msg.sender.
    function deposit() external payable returns (bytes32 id);

    /// Give a live note to another owner, in place (same id).
    function transfer(bytes32 id, address to) external;

    /// Split a live note into one of amount and one of the rest (both positive),
    /// each with the note's dependencies.
    function split(bytes32 id, uint256 amount) external returns (bytes32 part, bytes32 rest);

    /// Merge 2 to 16 live notes of msg.sender into one depending on the union of their claims.
    function merge(bytes32[] calldata ids) external returns (bytes32 id);

    /// Pay a live, unconditional note's value to its owner (msg.sender). A note with
    /// dependencies cannot leave the manager until they settle.
    function withdraw(bytes32 id) external;

    /// An object as stored; kind None for an unknown id. deps may still name claims
    /// decided but not yet processed.
    function objectOf(bytes32 id) external view returns (address owner, Kind kind, address token, uint256 amount, bool frozen, Claim[] memory deps);

    /// Up to 1024 ids of owner's objects from index start on, and how many owner has.
    /// A removal reorders the list: page through one block's state.
    function objectsOf(address owner, uint64 start) external view returns (bytes32[] memory ids, uint64 total);
}
