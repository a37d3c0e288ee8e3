package optimistic

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/internal/slots"
)

// Storage layout of the store. Every slot it uses is derived here and
// nowhere else; a change to this file is a change of the chain's state
// format. A slot is keccak256(tag ‖ parts), every part of fixed length (an
// ID or claim key 32 bytes, an index 32-byte big-endian), so no two
// families collide. "base + k" is the slot whose number is base plus k.
//
//	counters            keccak("aspen/opt/meta") + counter           -> uint64 (metaField)
//	object              keccak("aspen/opt/object" ‖ id)              -> blob rlp(objectRecord)
//	receipt used        keccak("aspen/opt/used" ‖ receipt ID)        -> 1 once received here
//	claim record        keccak("aspen/opt/claimrec" ‖ claim key) + f -> one word per claimField
//	claim body          keccak("aspen/opt/claimbody" ‖ claim key)    -> blob rlp(Claim)
//	claim dependent i   keccak("aspen/opt/claimdep" ‖ claim key ‖ i) -> object ID (i >= 0; may be stale)
//	learned block       keccak("aspen/opt/learned" ‖ subnet ‖ h) + 0 -> 1 once the truth at (subnet, h) is known
//	                                                          + 1 -> its block hash
//	claims at a height  keccak("aspen/opt/atheight" ‖ subnet ‖ h)    -> n; + 1 + i: key of claim i
//	work item i         keccak("aspen/opt/work" ‖ i)                 -> claim key whose verdict is still to apply (i >= 1)
//	expiry item i       keccak("aspen/opt/expiry" ‖ i)               -> claim key, in deadline order (i >= 1)
//	owner's objects     keccak("aspen/opt/owner" ‖ owner)            -> n; + 1 + i: ID of the owner's object i
//	owner position      keccak("aspen/opt/ownerpos" ‖ id)            -> 1 + the object's index in its owner's list
//
// owner is the address left-padded to 32 bytes. The owner index lists every
// stored object, frozen ones included, under its owner; a removal moves the
// list's last entry into the gap, so the order is not creation order.
//
// subnet is keccak256 of the subnet ID (IDs are longer than a word). A
// blob at slot s stores its length at s and its bytes, 32 per slot, at
// s+1, s+2, …
const (
	tagMeta      = "aspen/opt/meta"
	tagObject    = "aspen/opt/object"
	tagUsed      = "aspen/opt/used"
	tagClaimRec  = "aspen/opt/claimrec"
	tagClaimBody = "aspen/opt/claimbody"
	tagClaimDep  = "aspen/opt/claimdep"
	tagLearned   = "aspen/opt/learned"
	tagAtHeight  = "aspen/opt/atheight"
	tagWork      = "aspen/opt/work"
	tagExpiry    = "aspen/opt/expiry"
	tagOwner     = "aspen/opt/owner"
	tagOwnerPos  = "aspen/opt/ownerpos"

	// Domain tags of hashes that are not slots.
	tagClaim    = "aspen/opt/claim"
	tagReceipt  = "aspen/opt/receipt"
	tagObjectID = "aspen/opt/id"
)

type metaField uint64

const (
	mObjectNonce metaField = iota // objects created here, ever (IDs)
	mMoveNonce                    // moves that left here, ever (receipt nonces)
	mWorkHead                     // work items done: (head, tail] are waiting
	mWorkTail                     // newest work item
	mWorkCursor                   // dependents of the head+1 item already handled
	mExpiryHead                   // expiry items done
	mExpiryTail                   // newest expiry item
)

type claimField uint64

const (
	cStatus   claimField = iota // claimStatus
	cDeadline                   // height at which an undecided claim becomes false
	cDeps                       // number of dependent entries (some may be stale)
)

type claimStatus uint64

const (
	statusOpen claimStatus = iota
	statusTrue
	statusFalse
)

func metaSlot(f metaField) common.Hash { return plus(slotOf(tagMeta), uint64(f)) }
func objectSlot(id common.Hash) common.Hash {
	return slotOf(tagObject, id[:])
}
func usedSlot(receipt common.Hash) common.Hash { return slotOf(tagUsed, receipt[:]) }
func claimSlot(key common.Hash, f claimField) common.Hash {
	return plus(slotOf(tagClaimRec, key[:]), uint64(f))
}
func claimBodySlot(key common.Hash) common.Hash { return slotOf(tagClaimBody, key[:]) }
func claimDepSlot(key common.Hash, i uint64) common.Hash {
	return slotOf(tagClaimDep, key[:], u64Word(i).Bytes())
}
func learnedSlot(subnet string, h uint64) common.Hash {
	return slotOf(tagLearned, crypto.Keccak256([]byte(subnet)), u64Word(h).Bytes())
}
func atHeightSlot(subnet string, h uint64) common.Hash {
	return slotOf(tagAtHeight, crypto.Keccak256([]byte(subnet)), u64Word(h).Bytes())
}
func workSlot(i uint64) common.Hash   { return slotOf(tagWork, u64Word(i).Bytes()) }
func expirySlot(i uint64) common.Hash { return slotOf(tagExpiry, u64Word(i).Bytes()) }
func ownerSlot(owner common.Address) common.Hash {
	return slotOf(tagOwner, common.BytesToHash(owner.Bytes()).Bytes())
}
func ownerPosSlot(id common.Hash) common.Hash { return slotOf(tagOwnerPos, id[:]) }

func slotOf(tag string, parts ...[]byte) common.Hash { return slots.Of(tag, parts...) }

// plus is slot s + k, wrapping at 2^256 as the EVM's storage does.
func plus(s common.Hash, k uint64) common.Hash { return slots.Plus(s, k) }

func u64Word(v uint64) common.Hash { return slots.U64Word(v) }

func wordU64(w common.Hash) uint64 { return slots.WordU64(w) }

func getU64(st State, s common.Hash) uint64    { return wordU64(st.GetState(s)) }
func setU64(st State, s common.Hash, v uint64) { st.SetState(s, u64Word(v)) }

// readBlob returns the blob at s, or nil if its stored length is beyond
// maxBlobSize (a corrupt state; callers treat it as absent).
func readBlob(st State, s common.Hash) []byte { return slots.ReadBlob(st, s, maxBlobSize) }

// writeBlob stores b at s, clearing what a longer previous blob left behind.
func writeBlob(st State, s common.Hash, b []byte) { slots.WriteBlob(st, s, b) }
