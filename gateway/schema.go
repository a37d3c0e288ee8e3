package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/internal/slots"
)

// Storage layout of the gateway account. Every slot the gateway uses is
// derived here and nowhere else; a change to this file is a change of the
// chain's state format.
//
// A slot is keccak256(tag ‖ parts) where tag is one of the strings below and
// every part of a family has a fixed length (a subnet name is one 32-byte word:
// names are at most 32 bytes of [a-z0-9-], left-aligned and zero-padded; an
// index or nonce is a 32-byte big-endian word; an address 20 bytes; a BLS key
// 48 bytes), so no two families or keys can produce the same preimage.
// "base + k" is the slot whose number is base plus k, as Solidity lays out a
// struct.
//
//	children count         keccak("aspen/gw/children")                          -> n
//	child i (0-based)      keccak("aspen/gw/children" ‖ i)                      -> name word
//	source nonce           keccak("aspen/gw/srcnonce")                          -> messages originated here
//	subnet record          keccak("aspen/gw/subnet" ‖ name) + field             -> one word per field (subnetField)
//	validator i            keccak("aspen/gw/validator" ‖ name ‖ i)              -> record number of seat i (see below)
//	validator by owner     keccak("aspen/gw/owner" ‖ name ‖ owner)              -> i+1 (0: not a validator)
//	BLS key in use         keccak("aspen/gw/blskey" ‖ name ‖ key)               -> name word of its subnet (0: free)
//	genesis validators     keccak("aspen/gw/genesis" ‖ name)                    -> blob rlp([]Validator) of config 1
//	top-down message       keccak("aspen/gw/down" ‖ name ‖ nonce)               -> blob rlp(TopDownMsg)
//	top-down applied       keccak("aspen/gw/applied")                           -> nonce of the last parent message applied here (child side)
//	own validator set      keccak("aspen/gw/selfset")                           -> blob rlp([]SelfValidator): this chain's engine set (child side)
//	own config number      keccak("aspen/gw/selfconfig")                        -> config number of that set: the newest applied (child side)
//	minted                 keccak("aspen/gw/minted")                            -> wei that top-down messages brought into this chain, ever
//	burned                 keccak("aspen/gw/burned")                            -> wei that left this chain for its parent, ever
//
// Bottom-up and sending (see the block after the subnet fields below):
//
//	validator record r     keccak("aspen/gw/valrecord" ‖ name ‖ r)              -> blob rlp(Validator), written once, never changed (r >= 1)
//	config set c           keccak("aspen/gw/configset" ‖ name ‖ c)              -> blob of 4-byte big-endian record numbers: validators[X][c]
//	pending release i      keccak("aspen/gw/release" ‖ name ‖ i)                -> blob rlp(PendingRelease) (i >= 1)
//	up message n           keccak("aspen/gw/upqueue" ‖ n)                       -> blob rlp(CrossMsg): this chain's queue to its parent (n >= 1)
//	up nonce               keccak("aspen/gw/upnonce")                           -> nonce of the newest up message (0: none)
//	up accumulator n       keccak("aspen/gw/upacc" ‖ n)                         -> acc(n) = keccak256(acc(n-1) ‖ CrossMsg.Leaf of up message n), acc(0) = 0:
//	                                                                               one word a parent checks a PoW child's checkpoint messages against
//	cross-message origin   keccak("aspen/gw/origin")                            -> blob rlp(src, from) while a delivered call runs; empty otherwise
//	seat key r             keccak("aspen/gw/seatkey" ‖ name ‖ r)                -> 2 words: record r's BLS key (48 bytes) ‖ its power (8 bytes, big-endian), zero-padded
//	config power c         keccak("aspen/gw/configpower" ‖ name ‖ c)            -> uint256: total power of config set c
//
// A seat holds the number of its validator record, not the record itself: a
// record is immutable (a stake writes a new one), so a config set is just the
// list of its seats' record numbers, 4 bytes per validator. A checkpoint's
// quorum check reads only the signers' seat keys and the set's total power,
// never a whole record, so seats that do not sign cost it 4 bytes each.
//
// A blob (variable-length bytes) at slot s stores its length at s and its
// bytes, 32 per slot, at s+1, s+2, …; the last chunk is zero-padded.
const (
	tagChildren   = "aspen/gw/children"
	tagSrcNonce   = "aspen/gw/srcnonce"
	tagSubnet     = "aspen/gw/subnet"
	tagValidator  = "aspen/gw/validator"
	tagOwner      = "aspen/gw/owner"
	tagBLSKey     = "aspen/gw/blskey"
	tagGenesis    = "aspen/gw/genesis"
	tagDown       = "aspen/gw/down"
	tagApplied    = "aspen/gw/applied"
	tagSelfSet    = "aspen/gw/selfset"
	tagSelfConfig = "aspen/gw/selfconfig"
	tagMinted     = "aspen/gw/minted"
	tagBurned     = "aspen/gw/burned"
)

// subnetField is a word of a subnet record, at keccak("aspen/gw/subnet" ‖ name) + field.
type subnetField uint64

const (
	fStatus           subnetField = iota // Status+1; 0 means no such subnet
	fCreator                             // address
	fEngine                              // Engine
	fMinValidators                       // uint32
	fMinCollateral                       // uint256
	fBlockTimeMs                         // uint32
	fCheckpointPeriod                    // uint32
	fGasLimit                            // uint64
	fCirculating                         // uint256: circulating supply
	fLastCkptHeight                      // uint64
	fLastCkptHash                        // bytes32
	fConfigNumber                        // uint64
	fTotalCollateral                     // uint256
	fValidatorCount                      // uint64
	fDownNonce                           // uint64: nonce of the newest top-down message (0: none)
	fGenesisNonce                        // uint64: top-down messages up to this nonce are in the genesis
	fCreatedAt                           // uint64: parent height of createSubnet
	fActivatedAt                         // uint64: parent height of activation (0: not yet)
	fConfirmations                       // uint64: PoW subnets: depth at which a block is final
	subnetFields                         // number of fields
)

// Tags and subnet fields of bottom-up checkpoints, pending releases and the
// up queue. The fields start at 64 so the block above can grow without
// moving them.
const (
	tagValRecord = "aspen/gw/valrecord"
	tagConfigSet = "aspen/gw/configset"
	tagRelease   = "aspen/gw/release"
	tagUp        = "aspen/gw/upqueue"
	tagUpNonce   = "aspen/gw/upnonce"
	tagUpAcc     = "aspen/gw/upacc"
	tagOrigin    = "aspen/gw/origin"
	tagSeatKey   = "aspen/gw/seatkey"
	tagCfgPower  = "aspen/gw/configpower"
	tagAggKey    = "aspen/gw/aggkey"
	// tagPrivacy: keccak(tag ‖ name) holds the child's Privacy (privacy.go).
	tagPrivacy = "aspen/gw/privacy"
)

const (
	fRecordCount       subnetField = 64 + iota // uint64: validator records written (the newest record number)
	fLastCkptConfig                            // uint64: Config of the last committed checkpoint (0: none yet)
	fUpApplied                                 // uint64: messages of the child's up queue executed here
	fReleaseCount                              // uint64: pending releases ever queued (the newest index)
	fReleasePaid                               // uint64: pending releases paid; (paid, count] are waiting
	fLastAppliedConfig                         // uint64: AppliedConfig of the last committed checkpoint
	fSeatPower                                 // uint256: total power of the current seats
	fPowAnchor                                 // bytes32: PoW child: hash of its block at the last committed checkpoint, where the next header segment starts (0: its genesis)
	fPowUpAcc                                  // bytes32: PoW child: its up accumulator at upApplied (acc(upApplied))
	fLastCkptRoot                              // bytes32: StateRoot of the last committed checkpoint (what claims are proven against)
	fLastCkptAt                                // uint64: parent height at which the last checkpoint was committed (0: none)
	fStallWindow                               // uint64: parent blocks without a committed checkpoint before the child is frozen (0: DefaultStallWindow)
	fFrozenAt                                  // uint64: parent height at which a claim first froze a stalled child (0: not yet)
	fLastCkptDown                              // uint64: DownApplied of the last committed checkpoint
	fFraudHeight                               // uint64: height of the oldest checkpoint a fraud proof showed invalid (0: none)
	fFraudUnslashed                            // uint64: signers of proven fraudulent checkpoints not slashed yet
	fJurySeats                                 // uint64: seats of the child's jury + 1 (0: DefaultJurySeats; 1: no jury)
	fHeldFrom                                  // uint64: height of the oldest checkpoint whose payouts the jury holds (0: none held)
	fHeldTotal                                 // uint256: wei the held checkpoints' messages carry (still in the circulating supply)
	fRelHeight                                 // uint64: while checkpoints are held: height of the last released checkpoint
	fRelHash                                   // bytes32: its hash
	fRelRoot                                   // bytes32: its StateRoot (what claims are proven against while checkpoints are held)
	fRelDown                                   // uint64: its DownApplied
	fRelAt                                     // uint64: parent height at which it was released (the stall window counts from it)
)

func recordSlot(name string, r uint64) common.Hash {
	return slotOf(tagValRecord, nameWord(name).Bytes(), u64Word(r).Bytes())
}

func configSetSlot(name string, config uint64) common.Hash {
	return slotOf(tagConfigSet, nameWord(name).Bytes(), u64Word(config).Bytes())
}

func seatKeySlot(name string, r uint64) common.Hash {
	return slotOf(tagSeatKey, nameWord(name).Bytes(), u64Word(r).Bytes())
}

func configPowerSlot(name string, config uint64) common.Hash {
	return slotOf(tagCfgPower, nameWord(name).Bytes(), u64Word(config).Bytes())
}

// aggKeySlot is where the aggregate key of config set config of name
// starts (aggKeySlots words); config 0 holds the current seats' aggregate.
func aggKeySlot(name string, config uint64) common.Hash {
	return slotOf(tagAggKey, nameWord(name).Bytes(), u64Word(config).Bytes())
}

func releaseSlot(name string, i uint64) common.Hash {
	return slotOf(tagRelease, nameWord(name).Bytes(), u64Word(i).Bytes())
}

func upSlot(nonce uint64) common.Hash { return slotOf(tagUp, u64Word(nonce).Bytes()) }
func upNonceSlot() common.Hash        { return slotOf(tagUpNonce) }
func upAccSlot(n uint64) common.Hash  { return slotOf(tagUpAcc, u64Word(n).Bytes()) }
func originSlot() common.Hash         { return slotOf(tagOrigin) }

// Tags of atomic plans (atomic.go):
//
//	plan count         keccak("aspen/gw/atomiccount")                        -> plans submitted here (mediator side)
//	plan record        keccak("aspen/gw/atomic" ‖ id) + field                -> one word per field (planField)
//	plan legs          keccak("aspen/gw/atomiclegs" ‖ id)                    -> blob rlp([]AtomicLeg)
//	plan vote          keccak("aspen/gw/atomicvote" ‖ id ‖ leg)              -> AtomicVote of the leg
//	leg escrow         keccak("aspen/gw/atomicleg" ‖ mediator ‖ id ‖ leg)    -> blob rlp(legRecord) (leg side)
const (
	tagAtomic      = "aspen/gw/atomic"
	tagAtomicCount = "aspen/gw/atomiccount"
	tagAtomicLegs  = "aspen/gw/atomiclegs"
	tagAtomicVote  = "aspen/gw/atomicvote"
	tagAtomicLeg   = "aspen/gw/atomicleg"
)

func atomicCountSlot() common.Hash              { return slotOf(tagAtomicCount) }
func atomicLegsSlot(id common.Hash) common.Hash { return slotOf(tagAtomicLegs, id[:]) }
func atomicVoteSlot(id common.Hash, leg uint64) common.Hash {
	return slotOf(tagAtomicVote, id[:], u64Word(leg).Bytes())
}

// atomicLegSlot keys a leg by its mediator too: a plan ID names a plan of
// one mediator, and no other chain can claim its legs.
func atomicLegSlot(mediator string, id common.Hash, leg uint64) common.Hash {
	return slotOf(tagAtomicLeg, crypto.Keccak256([]byte(mediator)), id[:], u64Word(leg).Bytes())
}

// Tag of the escape hatch (hatch.go):
//
//	claimed            keccak("aspen/gw/claimed" ‖ name ‖ account)            -> wei paid to account from the frozen child (0: not claimed)
//	reclaimed          keccak("aspen/gw/reclaimed" ‖ name ‖ nonce)            -> 1 once top-down message nonce, never applied by the frozen child, was refunded
//	token registration keccak("aspen/gw/tokenreg" ‖ name ‖ token) + 0..3        -> child token address, balance slot, cap, paid so far (hatchtoken.go)
//	token claimed      keccak("aspen/gw/tokenclaimed" ‖ name ‖ token ‖ account) -> token amount paid to account from the frozen child (0: not claimed)
const (
	tagClaimed      = "aspen/gw/claimed"
	tagReclaimed    = "aspen/gw/reclaimed"
	tagTokenReg     = "aspen/gw/tokenreg"
	tagTokenClaimed = "aspen/gw/tokenclaimed"
)

func tokenRegSlot(name string, token common.Address) common.Hash {
	return slotOf(tagTokenReg, nameWord(name).Bytes(), token.Bytes())
}

func tokenClaimedSlot(name string, token, account common.Address) common.Hash {
	return slotOf(tagTokenClaimed, nameWord(name).Bytes(), token.Bytes(), account.Bytes())
}

func reclaimedSlot(name string, nonce uint64) common.Hash {
	return slotOf(tagReclaimed, nameWord(name).Bytes(), u64Word(nonce).Bytes())
}

func claimedSlot(name string, account common.Address) common.Hash {
	return slotOf(tagClaimed, nameWord(name).Bytes(), account.Bytes())
}

// Tags of slashing (slash.go):
//
//	offence punished   keccak("aspen/gw/offence" ‖ name ‖ BLS key ‖ height)   -> 1 once evidence against that key at that child height slashed it
//	slashed and locked keccak("aspen/gw/slashlocked")                        -> wei slashed on a chain whose state cannot burn, kept by the gateway for good
const (
	tagOffence     = "aspen/gw/offence"
	tagSlashLocked = "aspen/gw/slashlocked"
)

func offenceSlot(name string, key []byte, height uint64) common.Hash {
	return slotOf(tagOffence, nameWord(name).Bytes(), key, u64Word(height).Bytes())
}

func slashLockedSlot() common.Hash { return slotOf(tagSlashLocked) }

// Tags of fraud proofs (fraud.go):
//
//	checkpoint seal    keccak("aspen/gw/ckptseal" ‖ name ‖ k mod FraudWindow) -> keccak(checkpoint hash ‖ keccak(signer bitmap)) of the committed
//	                                                                             signed checkpoint number k (height / period)
//	fraud proven       keccak("aspen/gw/fraud" ‖ name ‖ height)               -> 1 once a fraud proof against the checkpoint at that height landed
const (
	tagCkptSeal = "aspen/gw/ckptseal"
	tagFraud    = "aspen/gw/fraud"
)

func ckptSealSlot(name string, k uint64) common.Hash {
	return slotOf(tagCkptSeal, nameWord(name).Bytes(), u64Word(k%FraudWindow).Bytes())
}

func fraudSlot(name string, height uint64) common.Hash {
	return slotOf(tagFraud, nameWord(name).Bytes(), u64Word(height).Bytes())
}

// Tags of the jury (jury.go, juryhold.go). The pool is the chain's, not a
// child's: jurors bond on this gateway and sit for every child.
//
//	pool count         keccak("aspen/gw/jurypool")                             -> n: entries of the pool (bonded, unbonding or slashed, not withdrawn)
//	pool entry i       keccak("aspen/gw/jurypool" ‖ i)                         -> account of entry i (0-based; a withdrawal moves the last entry into its place)
//	juror record       keccak("aspen/gw/juror" ‖ account) + field              -> one word per field (jurorField)
//	juror key in use   keccak("aspen/gw/jurorkey" ‖ BLS key)                   -> account holding it (0: free)
//	pool counters      keccak("aspen/gw/jurystats") + field                    -> one word per field (poolField)
//	held record        keccak("aspen/gw/held" ‖ name ‖ k mod FraudWindow) + f  -> one word per field (heldField) of signed checkpoint k (height / period)
//	held messages      keccak("aspen/gw/heldmsgs" ‖ name ‖ k mod FraudWindow)  -> blob rlp([]CrossMsg) while held; cleared on release
//	jury seats         keccak("aspen/gw/juryseats" ‖ name ‖ k mod FraudWindow) -> blob: 20-byte accounts, one per seat, of the round drawn last
//	jury votes         keccak("aspen/gw/juryvotes" ‖ name ‖ k mod FraudWindow) -> blob: 21 bytes per attestation: account ‖ 1 (valid) or 0 (invalid)
//
// Checkpoint records are kept as long as fraud proofs can name the
// checkpoint (FraudWindow), and overwritten after: at most
// MaxHeldCheckpoints are held at once, so a held one is never overwritten.
const (
	tagJuryPool  = "aspen/gw/jurypool"
	tagJuror     = "aspen/gw/juror"
	tagJurorKey  = "aspen/gw/jurorkey"
	tagJuryStats = "aspen/gw/jurystats"
	tagHeld      = "aspen/gw/held"
	tagHeldMsgs  = "aspen/gw/heldmsgs"
	tagJurySeats = "aspen/gw/juryseats"
	tagJuryVotes = "aspen/gw/juryvotes"
)

// jurorField is a word of a juror record.
type jurorField uint64

const (
	jWeight     jurorField = iota // uint256: the bond at joining: the juror's weight in every draw, never changed
	jBond                         // uint256: what it still has at stake (0 once slashed or withdrawn)
	jKey                          // 2 words: BLS public key (48 bytes), zero-padded
	jKey2                         //
	jSince                        // uint64: parent height of joinJury
	jUntil                        // uint64: parent height of leaveJury or of the slash (0: bonded)
	jLastAttest                   // uint64: parent height of its latest attestation
	jurorFields                   // number of fields
)

// poolField is a word of the pool's counters.
type poolField uint64

const (
	pActive     poolField = iota // uint64: bonded jurors (joined, not left or slashed)
	pLastJoinAt                  // uint64: parent height of the latest joinJury
	pJoinsAt                     // uint64: joins in that block (not drawable before the next)
)

// heldField is a word of a held checkpoint's record.
type heldField uint64

const (
	hHeight     heldField = iota // uint64: the checkpoint's height (tells a live record from an overwritten one)
	hHash                        // bytes32: its hash
	hStart                       // uint64: parent height of its commit: round r's seed is the hash of block hStart + r·JuryWindow
	hSeedBase                    // bytes32: keccak(domain, child, height, hash, aggregate signature)
	hTotal                       // uint256: wei its messages carry
	hApplied                     // uint64: its AppliedConfig (the validator releases it pays)
	hRoot                        // bytes32: its StateRoot
	hDown                        // uint64: its DownApplied
	hSeats                       // uint64: seats of its jury
	hState                       // uint64: JuryState
	hRound                       // uint64: round whose seats are stored + 1 (0: none drawn yet)
	hMessages                    // uint64: its messages
	hReleasedAt                  // uint64: parent height of its release (0: not released)
	heldFields                   // number of fields
)

func juryPoolCountSlot() common.Hash      { return slotOf(tagJuryPool) }
func juryPoolSlot(i uint64) common.Hash   { return slotOf(tagJuryPool, u64Word(i).Bytes()) }
func jurorKeySlot(key []byte) common.Hash { return slotOf(tagJurorKey, key) }
func poolSlot(f poolField) common.Hash    { return plus(slotOf(tagJuryStats), uint64(f)) }
func jurorSlot(a common.Address, f jurorField) common.Hash {
	return plus(slotOf(tagJuror, a.Bytes()), uint64(f))
}

// ckptKey is the key word of signed checkpoint number k of name, as
// ckptSealSlot has it: kept for the last FraudWindow checkpoints.
func ckptKey(name string, k uint64) []byte {
	return append(nameWord(name).Bytes(), u64Word(k%FraudWindow).Bytes()...)
}

func heldSlot(name string, k uint64, f heldField) common.Hash {
	return plus(slotOf(tagHeld, ckptKey(name, k)), uint64(f))
}
func heldMsgsSlot(name string, k uint64) common.Hash  { return slotOf(tagHeldMsgs, ckptKey(name, k)) }
func jurySeatsSlot(name string, k uint64) common.Hash { return slotOf(tagJurySeats, ckptKey(name, k)) }
func juryVotesSlot(name string, k uint64) common.Hash { return slotOf(tagJuryVotes, ckptKey(name, k)) }

func slotOf(tag string, parts ...[]byte) common.Hash { return slots.Of(tag, parts...) }

// plus is slot s + k, wrapping at 2^256 as the EVM's storage does.
func plus(s common.Hash, k uint64) common.Hash { return slots.Plus(s, k) }

func nameWord(name string) common.Hash {
	var w common.Hash
	copy(w[:], name)
	return w
}

func wordName(w common.Hash) string {
	n := 0
	for n < len(w) && w[n] != 0 {
		n++
	}
	return string(w[:n])
}

func u64Word(v uint64) common.Hash { return slots.U64Word(v) }

func wordU64(w common.Hash) uint64 { return slots.WordU64(w) }

func bigWord(v *big.Int) common.Hash { return common.BigToHash(v) }

func wordBig(w common.Hash) *big.Int { return new(big.Int).SetBytes(w[:]) }

func childSlot(i uint64) common.Hash      { return slotOf(tagChildren, u64Word(i).Bytes()) }
func childrenCountSlot() common.Hash      { return slotOf(tagChildren) }
func srcNonceSlot() common.Hash           { return slotOf(tagSrcNonce) }
func genesisSlot(name string) common.Hash { return slotOf(tagGenesis, nameWord(name).Bytes()) }

func fieldSlot(name string, f subnetField) common.Hash {
	return plus(slotOf(tagSubnet, nameWord(name).Bytes()), uint64(f))
}

func validatorSlot(name string, i uint64) common.Hash {
	return slotOf(tagValidator, nameWord(name).Bytes(), u64Word(i).Bytes())
}

func ownerSlot(name string, owner common.Address) common.Hash {
	return slotOf(tagOwner, nameWord(name).Bytes(), owner.Bytes())
}

// blsKeySlot marks a BLS key as seated in one subnet. Keys are unique per
// subnet, not per chain: votes are signed under a domain that binds the
// subnet ID, so one node may sit in several subnets with one key, but two
// seats of one subnet must never share a key (their votes would count twice).
func blsKeySlot(name string, key []byte) common.Hash {
	return slotOf(tagBLSKey, nameWord(name).Bytes(), key)
}

func downSlot(name string, nonce uint64) common.Hash {
	return slotOf(tagDown, nameWord(name).Bytes(), u64Word(nonce).Bytes())
}

// blobSlots is how many slots a blob of n bytes takes, length word included.
func blobSlots(n int) uint64 { return slots.BlobSlots(n) }

// maxBlobBytes bounds a blob read: none the gateway writes comes near it.
const maxBlobBytes = 16 << 20

// readBlob returns the blob at s, or nil if its stored length is beyond
// maxBlobBytes (a corrupt state; callers treat it as absent).
func readBlob(st StateReader, s common.Hash) []byte { return slots.ReadBlob(st, s, maxBlobBytes) }

// writeBlob stores b at s, clearing what a longer previous blob left behind.
func writeBlob(st storage, s common.Hash, b []byte) { slots.WriteBlob(st, s, b) }

func clearBlob(st storage, s common.Hash) { writeBlob(st, s, nil) }
