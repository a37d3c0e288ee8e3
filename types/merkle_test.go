package types

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func testLeaves(n int) []common.Hash {
	leaves := make([]common.Hash, n)
	for i := range leaves {
		leaves[i] = crypto.Keccak256Hash([]byte(fmt.Sprintf("leaf %d", i)))
	}
	return leaves
}

// refTop is the top node by RFC 6962's recursive definition (split at the
// largest power of two below n), hashing with the prefixes spelled out: an
// independent check of the shape that promoting odd nodes gives.
func refTop(leaves []common.Hash) common.Hash {
	if len(leaves) == 1 {
		return crypto.Keccak256Hash([]byte{0x00}, leaves[0][:])
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := refTop(leaves[:k]), refTop(leaves[k:])
	return crypto.Keccak256Hash([]byte{0x01}, l[:], r[:])
}

func refRoot(leaves []common.Hash) common.Hash {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(leaves)))
	top := refTop(leaves)
	return crypto.Keccak256Hash([]byte{0x02}, n[:], top[:])
}

func TestMerkleRootMatchesReference(t *testing.T) {
	if MerkleRoot(nil) != (common.Hash{}) {
		t.Fatal("root of no leaves is not the zero hash")
	}
	for n := 1; n <= 33; n++ {
		leaves := testLeaves(n)
		if got, want := MerkleRoot(leaves), refRoot(leaves); got != want {
			t.Fatalf("%d leaves: root %s, reference %s", n, got, want)
		}
	}
	// A single leaf is hashed, not used as the root, and the root commits
	// to the count.
	one := testLeaves(1)
	if MerkleRoot(one) == one[0] {
		t.Fatal("root of one leaf is the leaf itself")
	}
	// Duplicating the last leaf changes the root (no CVE-2012-2459).
	three := testLeaves(3)
	if MerkleRoot(three) == MerkleRoot(append(three, three[2])) {
		t.Fatal("[a b c] and [a b c c] share a root")
	}
}

func TestMerkleRootDoesNotModifyLeaves(t *testing.T) {
	leaves := testLeaves(5)
	saved := append([]common.Hash(nil), leaves...)
	MerkleRoot(leaves)
	if _, err := MerkleProof(leaves, 3); err != nil {
		t.Fatal(err)
	}
	for i := range leaves {
		if leaves[i] != saved[i] {
			t.Fatalf("leaf %d overwritten", i)
		}
	}
}

func TestMerkleProofEveryIndex(t *testing.T) {
	for n := 1; n <= 33; n++ {
		leaves := testLeaves(n)
		root := MerkleRoot(leaves)
		for i := range n {
			proof, err := MerkleProof(leaves, i)
			if err != nil {
				t.Fatalf("%d/%d: %v", i, n, err)
			}
			if err := VerifyMerkleProof(root, leaves[i], uint64(i), uint64(n), proof); err != nil {
				t.Fatalf("%d/%d: valid proof rejected: %v", i, n, err)
			}
			checkMerkleTampering(t, root, leaves, i, proof)
		}
	}
}

// checkMerkleTampering asserts that a flipped bit anywhere, another index or
// another count makes the proof of leaves[i] fail.
func checkMerkleTampering(t *testing.T, root common.Hash, leaves []common.Hash, i int, proof []common.Hash) {
	t.Helper()
	n := len(leaves)
	idx, count := uint64(i), uint64(n)
	reject := func(what string, root, leaf common.Hash, idx, count uint64, proof []common.Hash) {
		t.Helper()
		if err := VerifyMerkleProof(root, leaf, idx, count, proof); !errors.Is(err, ErrMerkleProof) {
			t.Fatalf("leaf %d of %d, %s: got %v, want ErrMerkleProof", i, n, what, err)
		}
	}
	for _, bit := range []int{0, 7, 100, 255} {
		leaf := leaves[i]
		leaf[bit/8] ^= 1 << (bit % 8)
		reject(fmt.Sprintf("leaf bit %d flipped", bit), root, leaf, idx, count, proof)
		r := root
		r[bit/8] ^= 1 << (bit % 8)
		reject(fmt.Sprintf("root bit %d flipped", bit), r, leaves[i], idx, count, proof)
		for j := range proof {
			p := append([]common.Hash(nil), proof...)
			p[j][bit/8] ^= 1 << (bit % 8)
			reject(fmt.Sprintf("proof[%d] bit %d flipped", j, bit), root, leaves[i], idx, count, p)
		}
	}
	for bit := range 64 {
		reject(fmt.Sprintf("index bit %d flipped", bit), root, leaves[i], idx^1<<bit, count, proof)
		reject(fmt.Sprintf("count bit %d flipped", bit), root, leaves[i], idx, count^1<<bit, proof)
	}
	// Every other position, in this tree or in trees of other sizes.
	for c := uint64(1); c <= 40; c++ {
		for j := uint64(0); j < c; j++ {
			if j != idx || c != count {
				reject(fmt.Sprintf("claimed as %d of %d", j, c), root, leaves[i], j, c, proof)
			}
		}
	}
	// Another leaf of the same tree with this leaf's proof.
	if n > 1 {
		reject("another leaf", root, leaves[(i+1)%n], idx, count, proof)
	}
	if len(proof) > 0 {
		reject("truncated proof", root, leaves[i], idx, count, proof[:len(proof)-1])
	}
	if len(proof) > 1 {
		reject("proof in reverse", root, leaves[i], idx, count, reversed(proof))
	}
	reject("extra hash", root, leaves[i], idx, count, append(append([]common.Hash(nil), proof...), common.Hash{}))
}

func reversed(p []common.Hash) []common.Hash {
	r := make([]common.Hash, len(p))
	for i := range p {
		r[len(p)-1-i] = p[i]
	}
	return r
}

// An inner node presented as a leaf of a smaller tree (the second-preimage
// trick) must not verify, with any count.
func TestMerkleInnerNodeIsNotALeaf(t *testing.T) {
	leaves := testLeaves(4)
	root := MerkleRoot(leaves)
	l := merkleLeaves(leaves)
	n01, n23 := merkleNode(l[0], l[1]), merkleNode(l[2], l[3])
	for count := uint64(1); count <= 4; count++ {
		if err := VerifyMerkleProof(root, n01, 0, count, []common.Hash{n23}); err == nil {
			t.Fatalf("inner node accepted as leaf 0 of %d", count)
		}
	}
	// Without the leaf prefix the inner node would hash to the top.
	if merkleNode(n01, n23) != refTop(leaves) {
		t.Fatal("test setup: n01, n23 are not the top's children")
	}
}

func TestMerkleErrorsSayWhatIsWrong(t *testing.T) {
	leaves := testLeaves(5)
	root := MerkleRoot(leaves)
	proof, _ := MerkleProof(leaves, 2)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{VerifyMerkleProof(root, leaves[2], 5, 5, proof), "index 5 out of range for 5 leaves"},
		{VerifyMerkleProof(root, leaves[2], 0, 0, nil), "out of range for 0 leaves"},
		{VerifyMerkleProof(root, leaves[2], 2, 5, proof[:1]), "1 hashes, want 3"},
		{VerifyMerkleProof(root, leaves[3], 2, 5, proof), "leads to root"},
	} {
		if !errors.Is(tc.err, ErrMerkleProof) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("got %v, want ErrMerkleProof saying %q", tc.err, tc.want)
		}
	}
	for _, i := range []int{-1, 5} {
		if _, err := MerkleProof(leaves, i); !errors.Is(err, ErrMerkleProof) {
			t.Errorf("MerkleProof index %d: got %v, want ErrMerkleProof", i, err)
		}
	}
	if _, err := MerkleProof(nil, 0); !errors.Is(err, ErrMerkleProof) {
		t.Errorf("MerkleProof of no leaves: got %v", err)
	}
	// A huge count must neither loop forever nor overflow.
	if err := VerifyMerkleProof(root, leaves[2], 2, ^uint64(0), proof); !errors.Is(err, ErrMerkleProof) {
		t.Errorf("count 2^64-1: got %v", err)
	}
}

func BenchmarkMerkleRoot1000(b *testing.B) {
	leaves := testLeaves(1000)
	for range b.N {
		MerkleRoot(leaves)
	}
}
