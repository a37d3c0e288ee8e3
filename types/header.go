package types

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// ParentRef points a child block at a final block of its parent chain. Moving it
// forward makes the child execute the parent's queued top-down messages
// (CROSSNET.md). A root chain's blocks carry the zero ParentRef.
type ParentRef struct {
	Height uint64
	Hash   common.Hash
}

// Header is an Aspen block header. Its hash is keccak256 of its RLP encoding
// without the Seal, so the seal can sign the hash and a commit certificate can
// be stored beside the block rather than inside it.
type Header struct {
	SubnetID    SubnetID
	Height      uint64
	ParentHash  common.Hash
	TimeMs      uint64 // unix milliseconds; the EVM and RPC see TimeMs/1000
	Proposer    common.Address
	StateRoot   common.Hash
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	Bloom       gethtypes.Bloom
	GasLimit    uint64
	GasUsed     uint64
	BaseFee     *big.Int
	ParentRef   ParentRef
	// EvidenceHash commits to Block.Evidence (zero when there is none), so
	// nobody can strip or add evidence without changing the block's hash.
	EvidenceHash common.Hash
	Seal         []byte // engine-specific: solo signs Hash() with the proposer's account key
	// NextValidators is set only on a block that changes the chain's
	// validator set (a child applying its parent's config changes): the set
	// that decides the next height. Absent from the encoding when empty, so
	// blocks without a change hash as before.
	NextValidators []Validator `rlp:"optional"`
	// Difficulty is the work a proof-of-work block must carry (pow checks
	// it against the nonce in Seal); 0 for engines without work. Absent
	// from the encoding when 0, so other engines' blocks hash as before.
	Difficulty uint64 `rlp:"optional"`
}

// unsealed is Header without Seal, the preimage of the hash.
type unsealed struct {
	SubnetID    SubnetID
	Height      uint64
	ParentHash  common.Hash
	TimeMs      uint64
	Proposer    common.Address
	StateRoot   common.Hash
	TxRoot      common.Hash
	ReceiptRoot common.Hash
	Bloom       gethtypes.Bloom
	GasLimit    uint64
	GasUsed     uint64
	BaseFee     *big.Int
	ParentRef   ParentRef
	Evidence    common.Hash
	NextVals    []Validator `rlp:"optional"`
	Difficulty  uint64      `rlp:"optional"`
}

// Hash is keccak256(rlp(header without seal)).
func (h *Header) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(&unsealed{
		h.SubnetID, h.Height, h.ParentHash, h.TimeMs, h.Proposer, h.StateRoot, h.TxRoot,
		h.ReceiptRoot, h.Bloom, h.GasLimit, h.GasUsed, h.baseFee(), h.ParentRef, h.EvidenceHash, h.NextValidators,
		h.Difficulty,
	})
	if err != nil {
		panic("types: header is not encodable: " + err.Error()) // only fixed-size fields and a big.Int
	}
	return crypto.Keccak256Hash(enc)
}

// Time is the header's timestamp in seconds, as the EVM's TIMESTAMP and the RPC see it.
func (h *Header) Time() uint64 { return h.TimeMs / 1000 }

func (h *Header) baseFee() *big.Int {
	if h.BaseFee == nil {
		return new(big.Int)
	}
	return h.BaseFee
}

// Copy returns a deep copy.
func (h *Header) Copy() *Header {
	c := *h
	if h.BaseFee != nil {
		c.BaseFee = new(big.Int).Set(h.BaseFee)
	}
	c.Seal = common.CopyBytes(h.Seal)
	c.NextValidators = CopyValidators(h.NextValidators)
	return &c
}
