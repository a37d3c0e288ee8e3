package pow

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// The ways a header can break the proof-of-work rules. Each wraps
// consensus.ErrMalformed: a header that breaks them is bad whoever's chain it
// is checked against, and the peer that sent it is at fault.
var (
	ErrNoDifficulty    = fmt.Errorf("%w: pow: block has no difficulty", consensus.ErrMalformed)
	ErrBadNonce        = fmt.Errorf("%w: pow: seal is not an 8-byte nonce", consensus.ErrMalformed)
	ErrLowWork         = fmt.Errorf("%w: pow: nonce does not meet the difficulty", consensus.ErrMalformed)
	ErrWrongDifficulty = fmt.Errorf("%w: pow: difficulty is not the one retargeting gives", consensus.ErrMalformed)
	ErrBadTimestamp    = fmt.Errorf("%w: pow: timestamp is not after the parent's", consensus.ErrMalformed)
	ErrNotChild        = fmt.Errorf("%w: pow: header does not extend the parent given", consensus.ErrMalformed)
)

// NonceSize is the length of a pow seal: a big-endian uint64 nonce.
const NonceSize = 8

// Defaults for a chain whose config leaves them 0.
const (
	DefaultConfirmations = 6
	DefaultBlockTimeMs   = 10_000
	// DefaultDifficulty is about 2^20 hashes a block: a few seconds of one
	// core, so a devnet mines at its block time on ordinary machines.
	DefaultDifficulty = 1 << 20
)

var two256 = new(big.Int).Lsh(big.NewInt(1), 256)

// Target is the largest work hash a block of difficulty d may have:
// 2^256/d. It is nil for d == 0 (no hash is good enough).
func Target(d uint64) *big.Int {
	if d == 0 {
		return nil
	}
	return new(big.Int).Div(two256, new(big.Int).SetUint64(d))
}

// target256 is Target for d >= 2, which fits 256 bits.
func target256(d uint64) *uint256.Int {
	t, _ := uint256.FromBig(Target(d))
	return t
}

// WorkHash is keccak256(h.Hash() || h.Seal): what the nonce must make small.
func WorkHash(h *types.Header) common.Hash {
	hash := h.Hash()
	return workHash(hash, h.Seal)
}

func workHash(hash common.Hash, seal []byte) common.Hash {
	return crypto.Keccak256Hash(hash[:], seal)
}

// Nonce returns the seal of nonce n.
func Nonce(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}

// CheckWork reports whether h carries enough work for its own difficulty.
// Difficulty 1 accepts every nonce without hashing.
func CheckWork(h *types.Header) error {
	if h.Difficulty == 0 {
		return ErrNoDifficulty
	}
	if len(h.Seal) != NonceSize {
		return fmt.Errorf("%w: %d bytes", ErrBadNonce, len(h.Seal))
	}
	if h.Difficulty == 1 {
		return nil
	}
	w := WorkHash(h)
	if new(uint256.Int).SetBytes32(w[:]).Gt(target256(h.Difficulty)) {
		return fmt.Errorf("%w: block %d at difficulty %d", ErrLowWork, h.Height, h.Difficulty)
	}
	return nil
}

// NextDifficulty is the difficulty of a block made at timeMs on parent, for
// a chain aiming at blockTimeMs between blocks and never below
// minDifficulty. With gap = timeMs - parent.TimeMs and step =
// parent.Difficulty/8:
//
//   - gap < 3/4 of the block time: one step up (blocks come too fast);
//   - gap up to 3/2 of the block time: unchanged;
//   - longer: down by step × min(gap/blockTime, 4), so at most halved.
//
// A parent without difficulty (genesis) gives minDifficulty. Difficulties
// below 8 have no step and never move, so a chain at minimum difficulty 1
// (tests, the simulator) stays there. A blockTimeMs of 0 keeps the
// parent's difficulty.
func NextDifficulty(parent *types.Header, timeMs uint64, blockTimeMs, minDifficulty uint64) uint64 {
	minDifficulty = max(minDifficulty, 1)
	d := parent.Difficulty
	if d == 0 {
		return minDifficulty
	}
	if blockTimeMs > 0 {
		var gap uint64
		if timeMs > parent.TimeMs {
			gap = timeMs - parent.TimeMs
		}
		step := d / 8
		switch {
		case gap < blockTimeMs*3/4:
			if d > math.MaxUint64-step {
				d = math.MaxUint64
			} else {
				d += step
			}
		case gap <= blockTimeMs*3/2:
		default:
			down := step * min(gap/blockTimeMs, 4) // step <= MaxUint64/8: no overflow
			if down >= d {
				d = 0
			} else {
				d -= down
			}
		}
	}
	return max(d, minDifficulty)
}

// CheckHeader checks h against parent by the proof-of-work rules alone: it
// extends parent, one height up, strictly later, at the difficulty
// NextDifficulty gives, with the work that difficulty asks. Timestamps far
// in the future are for the caller, who has a clock. Errors wrap
// consensus.ErrMalformed.
func CheckHeader(parent, h *types.Header, blockTimeMs, minDifficulty uint64) error {
	switch {
	case h.ParentHash != parent.Hash():
		return fmt.Errorf("%w: parent %s, given %s", ErrNotChild, h.ParentHash, parent.Hash())
	case h.Height != parent.Height+1:
		return fmt.Errorf("%w: height %d on a parent at %d", ErrNotChild, h.Height, parent.Height)
	case h.TimeMs <= parent.TimeMs:
		return fmt.Errorf("%w: block %d at %d ms, parent at %d ms", ErrBadTimestamp, h.Height, h.TimeMs, parent.TimeMs)
	}
	if want := NextDifficulty(parent, h.TimeMs, blockTimeMs, minDifficulty); h.Difficulty != want {
		return fmt.Errorf("%w: block %d has %d, want %d", ErrWrongDifficulty, h.Height, h.Difficulty, want)
	}
	return CheckWork(h)
}

// isMalformed reports whether err is the sender's fault.
func isMalformed(err error) bool { return errors.Is(err, consensus.ErrMalformed) }
