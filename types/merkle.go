package types

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// The Merkle tree over a list of leaf hashes (a checkpoint's messages, say).
//
// Every hash is keccak256 of a one-byte domain prefix and its inputs:
//
//	leaf node  = keccak256(0x00 ‖ leaf)
//	inner node = keccak256(0x01 ‖ left ‖ right)
//	root       = keccak256(0x02 ‖ uint64be(count) ‖ top node)
//
// Levels are built bottom-up by pairing neighbours; a level with an odd number
// of nodes promotes its last node unchanged to the next level. That gives the
// same shape as RFC 6962 (Certificate Transparency) and, unlike duplicating the
// odd node, no two lists of leaves share a top node merely because one repeats
// its last element (Bitcoin's CVE-2012-2459). The prefixes keep a leaf from
// passing for an inner node (the second-preimage trick of presenting an inner
// node as a leaf of a shorter tree), and the root commits to the number of
// leaves, so a proof fixes both the leaf's index and the count: a verifier
// needs no other source for either. An empty list has the zero hash as root.
const (
	merkleLeafPrefix = 0x00
	merkleNodePrefix = 0x01
	merkleRootPrefix = 0x02
)

// ErrMerkleProof reports a Merkle proof that does not prove the leaf at the
// index claimed.
var ErrMerkleProof = errors.New("types: invalid Merkle proof")

// MerkleRoot returns the root of the tree over leaves (see above); the zero
// hash for none.
func MerkleRoot(leaves []common.Hash) common.Hash {
	if len(leaves) == 0 {
		return common.Hash{}
	}
	level := merkleLeaves(leaves)
	for len(level) > 1 {
		level = merkleParents(level)
	}
	return merkleTop(uint64(len(leaves)), level[0])
}

// MerkleProof returns the proof that leaves[index] is in MerkleRoot(leaves):
// the siblings on the path from the leaf to the top, bottom first, skipping
// the levels where the path's node is promoted.
func MerkleProof(leaves []common.Hash, index int) ([]common.Hash, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("%w: index %d out of range for %d leaves", ErrMerkleProof, index, len(leaves))
	}
	level := merkleLeaves(leaves)
	var proof []common.Hash
	for len(level) > 1 {
		switch {
		case index%2 == 1:
			proof = append(proof, level[index-1])
		case index+1 < len(level):
			proof = append(proof, level[index+1])
		}
		level, index = merkleParents(level), index/2
	}
	return proof, nil
}

// VerifyMerkleProof checks that proof proves leaf at index of a tree of count
// leaves with the given root. The error wraps ErrMerkleProof and says which
// check failed.
func VerifyMerkleProof(root, leaf common.Hash, index, count uint64, proof []common.Hash) error {
	if index >= count {
		return fmt.Errorf("%w: index %d out of range for %d leaves", ErrMerkleProof, index, count)
	}
	if want := merkleProofLen(index, count); len(proof) != want {
		return fmt.Errorf("%w: %d hashes, want %d for index %d of %d", ErrMerkleProof, len(proof), want, index, count)
	}
	node, used := merkleLeaf(leaf), 0
	for i, n := index, count; n > 1; i, n = i/2, n-n/2 {
		switch {
		case i%2 == 1:
			node = merkleNode(proof[used], node)
			used++
		case i+1 < n:
			node = merkleNode(node, proof[used])
			used++
		}
	}
	if got := merkleTop(count, node); got != root {
		return fmt.Errorf("%w: leaf %d of %d leads to root %s, want %s", ErrMerkleProof, index, count, got, root)
	}
	return nil
}

// merkleProofLen is the number of siblings on the path of leaf index in a
// tree of count leaves. A level of n nodes has ceil(n/2) = n-n/2 parents,
// written so to not overflow at the top of uint64.
func merkleProofLen(index, count uint64) int {
	n := 0
	for ; count > 1; index, count = index/2, count-count/2 {
		if index%2 == 1 || index+1 < count {
			n++
		}
	}
	return n
}

// merkleLeaves returns the leaf nodes of leaves, in a fresh slice.
func merkleLeaves(leaves []common.Hash) []common.Hash {
	level := make([]common.Hash, len(leaves))
	for i, l := range leaves {
		level[i] = merkleLeaf(l)
	}
	return level
}

// merkleParents returns the level above level, overwriting level's front
// (node i/2 is written only after nodes i and i+1 are read).
func merkleParents(level []common.Hash) []common.Hash {
	next := level[:0]
	for i := 0; i < len(level); i += 2 {
		if i+1 == len(level) {
			next = append(next, level[i]) // odd one out: promoted
		} else {
			next = append(next, merkleNode(level[i], level[i+1]))
		}
	}
	return next
}

func merkleLeaf(leaf common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{merkleLeafPrefix}, leaf[:])
}

func merkleNode(left, right common.Hash) common.Hash {
	return crypto.Keccak256Hash([]byte{merkleNodePrefix}, left[:], right[:])
}

func merkleTop(count uint64, top common.Hash) common.Hash {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], count)
	return crypto.Keccak256Hash([]byte{merkleRootPrefix}, n[:], top[:])
}
