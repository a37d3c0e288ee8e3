package types

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// Commit is the certificate that a block is final. For bft it is one BLS
// aggregate signature over the block hash plus a bitmap of the validators (by
// index in the validator set of that height) who signed; for solo it is empty
// because the header's Seal is the proof.
type Commit struct {
	Height    uint64
	Round     uint32
	BlockHash common.Hash
	Signers   []byte // bitmap: bit i set when validator i signed
	Signature []byte // aggregate BLS signature
}

// EncodeCommit returns the commit's RLP encoding.
func EncodeCommit(c *Commit) ([]byte, error) { return rlp.EncodeToBytes(c) }

// DecodeCommit parses an RLP-encoded commit.
func DecodeCommit(data []byte) (*Commit, error) {
	c := new(Commit)
	if err := rlp.DecodeBytes(data, c); err != nil {
		return nil, err
	}
	return c, nil
}

// HasSigner reports whether bit i of the signer bitmap is set.
func (c *Commit) HasSigner(i int) bool {
	return i/8 < len(c.Signers) && c.Signers[i/8]&(1<<(i%8)) != 0
}

// SetSigner sets bit i of the signer bitmap.
func (c *Commit) SetSigner(i int) {
	for len(c.Signers) <= i/8 {
		c.Signers = append(c.Signers, 0)
	}
	c.Signers[i/8] |= 1 << (i % 8)
}
