package private

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Errors of shared-state commitments.
var (
	ErrDuplicateKey   = errors.New("private: state lists a key twice")
	ErrNotComparable  = errors.New("private: commitments are of different pairs or heights")
	ErrStateDiverged  = errors.New("private: shared state diverged")
	ErrSelfCommitment = errors.New("private: a pair needs two distinct participants")
)

const domainStateCommit = "aspen/private/v1/shared-state"

// Entry is one key and value of the state a group of participants shares
// (for an EVM group: a storage slot or an account field, encoded by the
// caller).
type Entry struct {
	Key, Value []byte
}

// StateCommitment is what a participant posts every N blocks for each
// counterparty: a hash of the state the two of them share. Two honest
// participants post the same Root for the same pair and height.
type StateCommitment struct {
	Context
	Height uint64
	// Pair is the two participants' accounts, lower address first.
	Pair [2]common.Address
	Root common.Hash
}

// CommitSharedState hashes the state a and b share at height: keccak256 over
// the domain, the context, height, the ordered pair, and every entry sorted
// by key, each key and value length-prefixed so no two states hash alike. It
// does not modify entries.
func CommitSharedState(ctx Context, height uint64, a, b common.Address, entries []Entry) (StateCommitment, error) {
	if a == b {
		return StateCommitment{}, fmt.Errorf("%w: %s twice", ErrSelfCommitment, a)
	}
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(x, y Entry) int { return bytes.Compare(x.Key, y.Key) })
	h := crypto.NewKeccakState()
	put := func(p []byte) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(p))))
		h.Write(p)
	}
	put([]byte(domainStateCommit))
	put(rlpHash(domainContext, []any{ctx.ChainID, string(ctx.Subnet)}).Bytes())
	put(binary.BigEndian.AppendUint64(nil, height))
	put(a[:])
	put(b[:])
	for i, e := range sorted {
		if i > 0 && bytes.Equal(sorted[i-1].Key, e.Key) {
			return StateCommitment{}, fmt.Errorf("%w: %x", ErrDuplicateKey, e.Key)
		}
		put(e.Key)
		put(e.Value)
	}
	var root common.Hash
	h.Read(root[:])
	return StateCommitment{Context: ctx, Height: height, Pair: [2]common.Address{a, b}, Root: root}, nil
}

// CompareCommitments checks two posted commitments of one pair at one
// height: nil when they match, ErrStateDiverged (naming the pair and height,
// to be flagged) when the roots differ, ErrNotComparable when they are not
// about the same pair, context and height.
func CompareCommitments(x, y StateCommitment) error {
	if x.Context != y.Context || x.Height != y.Height || x.Pair != y.Pair {
		return fmt.Errorf("%w: %s/%d %s-%s at %d vs %s/%d %s-%s at %d", ErrNotComparable,
			x.Subnet, x.ChainID, x.Pair[0], x.Pair[1], x.Height, y.Subnet, y.ChainID, y.Pair[0], y.Pair[1], y.Height)
	}
	if x.Root != y.Root {
		return fmt.Errorf("%w: %s and %s at height %d on %s: %s vs %s", ErrStateDiverged,
			x.Pair[0], x.Pair[1], x.Height, x.Subnet, x.Root, y.Root)
	}
	return nil
}
