package types

import (
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Block is a header and its transactions. Transactions are go-ethereum's, so
// every Ethereum transaction type and its signature rules carry over unchanged.
type Block struct {
	Header *Header
	Txs    gethtypes.Transactions
	// Evidence is misbehaviour the proposer included (engine-encoded, e.g. a
	// bft double vote); the parent chain's gateway slashes on it.
	Evidence [][]byte `rlp:"optional"`
}

// Hash is the header's hash.
func (b *Block) Hash() common.Hash { return b.Header.Hash() }

// Height is the header's height.
func (b *Block) Height() uint64 { return b.Header.Height }

// TxRoot computes the Merkle-Patricia root of txs as Ethereum does.
func TxRoot(txs gethtypes.Transactions) common.Hash {
	return gethtypes.DeriveSha(txs, trie.NewStackTrie(nil))
}

// ReceiptRoot computes the Merkle-Patricia root of receipts as Ethereum does.
func ReceiptRoot(receipts gethtypes.Receipts) common.Hash {
	return gethtypes.DeriveSha(receipts, trie.NewStackTrie(nil))
}

// EncodeBlock returns the block's RLP encoding.
func EncodeBlock(b *Block) ([]byte, error) { return rlp.EncodeToBytes(b) }

// DecodeBlock parses an RLP-encoded block.
func DecodeBlock(data []byte) (*Block, error) {
	b := new(Block)
	if err := rlp.DecodeBytes(data, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Size is the length of the block's RLP encoding.
func (b *Block) Size() uint64 {
	enc, err := rlp.EncodeToBytes(b)
	if err != nil {
		return 0
	}
	return uint64(len(enc))
}

// EvidenceHash is keccak256(rlp(evidence)), or the zero hash for none.
func EvidenceHash(evidence [][]byte) common.Hash {
	if len(evidence) == 0 {
		return common.Hash{}
	}
	enc, err := rlp.EncodeToBytes(evidence)
	if err != nil {
		panic("types: evidence not encodable: " + err.Error())
	}
	return crypto.Keccak256Hash(enc)
}
