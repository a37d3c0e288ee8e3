package crypto

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"

	blst "github.com/supranational/blst/bindings/go"
)

// Certificates of the form "one aggregate BLS signature + a bitmap of who
// signed" over a weighted, ordered validator list: checkpoints (CROSSNET.md)
// and, in the same shape, bft commits. The signed message carries the domain
// (what is signed, for which network); the BLS tag is the one of VerifyBLS.

var (
	// ErrBitmap reports a signer bitmap of the wrong length or with bits set
	// beyond the last validator.
	ErrBitmap = errors.New("crypto: invalid signer bitmap")
	// ErrSignerIndex reports a signature attributed to no validator.
	ErrSignerIndex = errors.New("crypto: signer index out of range")
	// ErrKeySet reports a validator list that cannot check certificates:
	// empty, keys and powers of different lengths, an invalid or repeated
	// key, a zero power, or a total power that overflows.
	ErrKeySet = errors.New("crypto: invalid validator key set")
	// ErrNoQuorum reports signers holding no more than two thirds of the
	// total power.
	ErrNoQuorum = errors.New("crypto: signers hold no quorum")
	// ErrBadAggregate reports an aggregate signature that is malformed or is
	// not the signers' signatures of the message.
	ErrBadAggregate = errors.New("crypto: aggregate signature does not verify")
)

// Bitmap marks which validators signed: bit i is validator i, stored as bit
// i%8 (least significant first) of byte i/8, the order of types.Commit's
// Signers. A bitmap for n validators is exactly (n+7)/8 bytes.
type Bitmap []byte

// NewBitmap returns an empty bitmap for n validators.
func NewBitmap(n int) Bitmap { return make(Bitmap, (n+7)/8) }

// Set marks validator i. It panics if i is outside the bitmap, as indexing does.
func (b Bitmap) Set(i int) { b[i/8] |= 1 << (i % 8) }

// Has reports whether validator i is marked; false outside the bitmap.
func (b Bitmap) Has(i int) bool { return i >= 0 && i/8 < len(b) && b[i/8]&(1<<(i%8)) != 0 }

// Count is the number of validators marked.
func (b Bitmap) Count() int {
	n := 0
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return n
}

// Validate checks that b is a bitmap for n validators: (n+7)/8 bytes, no bit
// set at n or above. A certificate has one encoding, so nobody can vary its
// bytes (and its hash) without changing who signed.
func (b Bitmap) Validate(n int) error {
	if want := (n + 7) / 8; len(b) != want {
		return fmt.Errorf("%w: %d bytes for %d validators, want %d", ErrBitmap, len(b), n, want)
	}
	if n%8 != 0 && b[len(b)-1]>>(n%8) != 0 {
		return fmt.Errorf("%w: bit set beyond the %d validators (last byte %#02x)", ErrBitmap, n, b[len(b)-1])
	}
	return nil
}

// AggregateWithBitmap aggregates the signatures sigs of validators (by index
// in a list of n) into one signature and the bitmap of their indices. It
// checks each signature is a valid G2 point, not that it signs anything: the
// caller verifies each one (VerifyBLS) as it arrives, since a single bad
// signature spoils the aggregate.
func AggregateWithBitmap(n int, sigs map[int][]byte) (agg []byte, bitmap []byte, err error) {
	if len(sigs) == 0 {
		return nil, nil, ErrNoSignatures
	}
	idx := make([]int, 0, len(sigs))
	for i := range sigs {
		if i < 0 || i >= n {
			return nil, nil, fmt.Errorf("%w: validator %d of %d", ErrSignerIndex, i, n)
		}
		idx = append(idx, i)
	}
	slices.Sort(idx) // report the lowest bad signature, whatever the map order
	var sum blst.P2Aggregate
	bm := NewBitmap(n)
	for _, i := range idx {
		s, err := parseSignature(sigs[i])
		if err != nil {
			return nil, nil, fmt.Errorf("validator %d: %w", i, err)
		}
		sum.Add(s, false)
		bm.Set(i)
	}
	return sum.ToAffine().Compress(), bm, nil
}

// VerifyQuorum checks a certificate against an ordered validator list: the
// bitmap has the list's shape, the validators it marks hold more than two
// thirds of the total power, and aggSig aggregates their signatures of msg.
// It returns the power that signed. It parses and checks every key on each
// call; to check many certificates against one list, build a KeySet once.
func VerifyQuorum(keys [][]byte, powers []uint64, bitmap, msg, aggSig []byte) (signedPower uint64, err error) {
	s, err := NewKeySet(keys, powers)
	if err != nil {
		return 0, err
	}
	return s.Verify(bitmap, msg, aggSig)
}

// KeySet is an ordered validator list with its keys parsed and checked once,
// for verifying many certificates. It is immutable and safe for concurrent use.
type KeySet struct {
	keys   []*blst.P1Affine
	powers []uint64
	total  uint64
}

// NewKeySet checks and parses keys (48-byte compressed G1, each admitted
// with a proof of possession) with their powers. Index i in the lists is bit
// i in bitmaps. No key may appear twice: one signature would then count for
// two validators' power.
func NewKeySet(keys [][]byte, powers []uint64) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no validators", ErrKeySet)
	}
	if len(keys) != len(powers) {
		return nil, fmt.Errorf("%w: %d keys but %d powers", ErrKeySet, len(keys), len(powers))
	}
	s := &KeySet{keys: make([]*blst.P1Affine, len(keys)), powers: slices.Clone(powers)}
	seen := make(map[[BLSPublicKeySize]byte]int, len(keys))
	for i, b := range keys {
		pk, err := parsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("%w: validator %d: %w", ErrKeySet, i, err)
		}
		// Compressed encodings are canonical (blst rejects x ≥ p and stray
		// flag bits), so equal points have equal bytes.
		k := [BLSPublicKeySize]byte(b)
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("%w: validators %d and %d have the same key %#x", ErrKeySet, j, i, b)
		}
		seen[k] = i
		if powers[i] == 0 {
			return nil, fmt.Errorf("%w: validator %d has no power", ErrKeySet, i)
		}
		var carry uint64
		if s.total, carry = bits.Add64(s.total, powers[i], 0); carry != 0 {
			return nil, fmt.Errorf("%w: total power overflows 64 bits", ErrKeySet)
		}
		s.keys[i] = pk
	}
	return s, nil
}

// Len is the number of validators.
func (s *KeySet) Len() int { return len(s.keys) }

// TotalPower is the sum of the validators' powers.
func (s *KeySet) TotalPower() uint64 { return s.total }

// Quorum is the least power that is more than two thirds of the total.
func (s *KeySet) Quorum() uint64 { return Quorum(s.total) }

// Quorum is the least power that is more than two thirds of total:
// floor(2*total/3)+1, computed without overflow for every uint64 total. It
// is the one quorum formula of Aspen: commit certificates (consensus), the
// bft engine's vote counting and checkpoints all use it. The naive
// total*2/3+1 wraps above 2^63 and makes a small power a quorum.
func Quorum(total uint64) uint64 { return total/3*2 + total%3*2/3 + 1 }

// Verify checks a certificate: bitmap has the set's shape, the validators it
// marks hold at least Quorum, and aggSig aggregates their signatures of msg.
// It returns the power that signed; on error, 0 and an error wrapping
// ErrBitmap, ErrNoQuorum or ErrBadAggregate that says what was wrong. The
// cheap checks come first, so a certificate short of quorum costs no pairing.
func (s *KeySet) Verify(bitmap, msg, aggSig []byte) (signedPower uint64, err error) {
	bm := Bitmap(bitmap)
	if err := bm.Validate(len(s.keys)); err != nil {
		return 0, err
	}
	pks := make([]*blst.P1Affine, 0, bm.Count())
	var power uint64
	for i, pk := range s.keys {
		if bm.Has(i) {
			pks = append(pks, pk)
			power += s.powers[i] // no overflow: the total did not
		}
	}
	if power < s.Quorum() {
		return 0, fmt.Errorf("%w: %d validators with power %d of %d, need %d", ErrNoQuorum, len(pks), power, s.total, s.Quorum())
	}
	sig, err := parseSignature(aggSig)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadAggregate, err)
	}
	// Keys were validated by NewKeySet and the signature group-checked by
	// parseSignature; the tag is VerifyBLS's, so this is VerifyAggregate
	// without re-parsing the keys.
	if !sig.FastAggregateVerify(false, pks, msg, []byte(blsSigDST)) {
		return 0, fmt.Errorf("%w: not the signatures of the %d validators in the bitmap on this message", ErrBadAggregate, len(pks))
	}
	return power, nil
}
