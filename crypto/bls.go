package crypto

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	blst "github.com/supranational/blst/bindings/go"
)

// Sizes of BLS12-381 min-pk values: public keys are compressed G1 points,
// signatures compressed G2 points.
const (
	BLSSecretKeySize = 32
	BLSPublicKeySize = 48
	BLSSignatureSize = 96
)

// Domain separation tags of the IETF BLS signature draft, proof-of-possession
// scheme, min-pk variant. The same as Ethereum's consensus layer, so keys and
// signatures interoperate with its tools.
const (
	blsSigDST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
	blsPopDST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
)

var (
	// ErrBLSSecretKey reports bytes that are not a valid BLS secret key (32
	// bytes big-endian, non-zero, below the group order).
	ErrBLSSecretKey = errors.New("crypto: invalid BLS secret key")
	// ErrBLSPublicKey reports bytes that are not a valid BLS public key: not
	// 48 bytes, not a point on the curve, not in the G1 subgroup, or infinity.
	ErrBLSPublicKey = errors.New("crypto: invalid BLS public key")
	// ErrBLSSignature reports bytes that are not a valid BLS signature: not 96
	// bytes, not a point on the curve or not in the G2 subgroup.
	ErrBLSSignature = errors.New("crypto: invalid BLS signature")
	// ErrNoSignatures reports an aggregation of nothing.
	ErrNoSignatures = errors.New("crypto: no signatures to aggregate")
)

// BLSPublicKey is a compressed G1 point.
type BLSPublicKey [BLSPublicKeySize]byte

// Bytes returns the key as a fresh slice.
func (p BLSPublicKey) Bytes() []byte { return append([]byte(nil), p[:]...) }

// String returns the 0x-prefixed hex encoding.
func (p BLSPublicKey) String() string { return hexutil.Encode(p[:]) }

// ParseBLSPublicKey checks that b is a valid public key (on the curve, in the
// subgroup, not infinity) and returns it.
func ParseBLSPublicKey(b []byte) (BLSPublicKey, error) {
	var p BLSPublicKey
	if _, err := parsePublicKey(b); err != nil {
		return p, err
	}
	copy(p[:], b)
	return p, nil
}

// BLSSecretKey is a validator's signing key. Its String and GoString methods
// show only the public key, so the secret never reaches a log by accident.
type BLSSecretKey struct {
	sk  blst.SecretKey
	pub BLSPublicKey
}

// GenerateBLSKey returns a fresh key from 32 bytes of crypto/rand input keying
// material, through the IETF KeyGen (HKDF) procedure.
func GenerateBLSKey() (*BLSSecretKey, error) {
	var ikm [32]byte
	if _, err := rand.Read(ikm[:]); err != nil {
		return nil, fmt.Errorf("crypto: BLS key entropy: %w", err)
	}
	sk := blst.KeyGen(ikm[:])
	clear(ikm[:])
	if sk == nil {
		return nil, fmt.Errorf("%w: key generation failed", ErrBLSSecretKey)
	}
	key := newBLSSecretKey(sk)
	sk.Zeroize()
	return key, nil
}

// BLSSecretKeyFromBytes parses a 32-byte big-endian secret key, as returned by
// (*BLSSecretKey).Bytes.
func BLSSecretKeyFromBytes(b []byte) (*BLSSecretKey, error) {
	if len(b) != BLSSecretKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBLSSecretKey, len(b), BLSSecretKeySize)
	}
	var sk blst.SecretKey
	if sk.Deserialize(b) == nil || !sk.Valid() {
		return nil, fmt.Errorf("%w: zero or not below the group order", ErrBLSSecretKey)
	}
	key := newBLSSecretKey(&sk)
	sk.Zeroize()
	return key, nil
}

func newBLSSecretKey(sk *blst.SecretKey) *BLSSecretKey {
	k := &BLSSecretKey{sk: *sk}
	copy(k.pub[:], new(blst.P1Affine).From(&k.sk).Compress())
	return k
}

// Bytes returns the 32-byte big-endian secret scalar. Handle with care.
func (k *BLSSecretKey) Bytes() []byte { return k.sk.Serialize() }

// PublicKey returns the compressed public key.
func (k *BLSSecretKey) PublicKey() BLSPublicKey { return k.pub }

// Sign returns the 96-byte signature of msg.
func (k *BLSSecretKey) Sign(msg []byte) []byte {
	return new(blst.P2Affine).Sign(&k.sk, msg, []byte(blsSigDST)).Compress()
}

// ProofOfPossession returns a signature of the key's own compressed public key
// under the proof-of-possession tag. A validator set must check it for every
// key it admits: it is what makes same-message aggregation safe against
// rogue-key attacks.
func (k *BLSSecretKey) ProofOfPossession() []byte {
	return new(blst.P2Affine).Sign(&k.sk, k.pub[:], []byte(blsPopDST)).Compress()
}

// String shows the public key only.
func (k *BLSSecretKey) String() string { return "BLSSecretKey{pub: " + k.pub.String() + "}" }

// GoString shows the public key only.
func (k *BLSSecretKey) GoString() string { return k.String() }

// VerifyBLS reports whether sig is pub's signature of msg. Malformed keys or
// signatures of any length give false, never a panic.
func VerifyBLS(pub, msg, sig []byte) bool {
	return verify(pub, msg, sig, blsSigDST)
}

// VerifyProofOfPossession reports whether pop proves possession of the secret
// key behind pub.
func VerifyProofOfPossession(pub, pop []byte) bool {
	return verify(pub, pub, pop, blsPopDST)
}

func verify(pub, msg, sig []byte, dst string) bool {
	pk, err := parsePublicKey(pub)
	if err != nil {
		return false
	}
	s, err := parseSignature(sig)
	if err != nil {
		return false
	}
	// The key was validated by parsePublicKey and the signature group-checked
	// by parseSignature.
	return s.Verify(false, pk, false, msg, []byte(dst))
}

// AggregateSignatures adds signatures (of the same or different messages) into
// one 96-byte signature. Every input is checked to be a valid G2 point.
func AggregateSignatures(sigs [][]byte) ([]byte, error) {
	if len(sigs) == 0 {
		return nil, ErrNoSignatures
	}
	var agg blst.P2Aggregate
	for i, b := range sigs {
		s, err := parseSignature(b)
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i, err)
		}
		agg.Add(s, false)
	}
	return agg.ToAffine().Compress(), nil
}

// AggregateVerifiedSignatures is AggregateSignatures for signatures that
// were verified one by one (VerifyBLS, or made by Sign): their subgroup was
// checked then, the most expensive part of parsing one, so it is not checked
// again; each must still be a point on the curve. Should an unchecked one
// slip in anyway, the aggregate fails every verification: whoever checks
// it (VerifyAggregate, KeySet.Verify) checks its subgroup.
func AggregateVerifiedSignatures(sigs [][]byte) ([]byte, error) {
	if len(sigs) == 0 {
		return nil, ErrNoSignatures
	}
	var agg blst.P2Aggregate
	for i, b := range sigs {
		if len(b) != BLSSignatureSize {
			return nil, fmt.Errorf("signature %d: %w: %d bytes, want %d", i, ErrBLSSignature, len(b), BLSSignatureSize)
		}
		s := new(blst.P2Affine).Uncompress(b)
		if s == nil {
			return nil, fmt.Errorf("signature %d: %w: not a compressed curve point", i, ErrBLSSignature)
		}
		agg.Add(s, false)
	}
	return agg.ToAffine().Compress(), nil
}

// VerifyAggregate reports whether aggSig aggregates the signatures of msg by
// every key in pubs (fast aggregate verify). Each key is validated (on the
// curve, in the subgroup, not infinity); the caller must have checked each
// key's proof of possession when it was admitted, and must itself make sure
// the same signer is not counted twice.
func VerifyAggregate(pubs [][]byte, msg, aggSig []byte) bool {
	return (*KeyCache)(nil).VerifyAggregate(pubs, msg, aggSig)
}

func parsePublicKey(b []byte) (*blst.P1Affine, error) {
	if len(b) != BLSPublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBLSPublicKey, len(b), BLSPublicKeySize)
	}
	pk := new(blst.P1Affine).Uncompress(b)
	if pk == nil {
		return nil, fmt.Errorf("%w: not a compressed curve point", ErrBLSPublicKey)
	}
	if !pk.KeyValidate() {
		return nil, fmt.Errorf("%w: infinity or not in the subgroup", ErrBLSPublicKey)
	}
	return pk, nil
}

func parseSignature(b []byte) (*blst.P2Affine, error) {
	if len(b) != BLSSignatureSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBLSSignature, len(b), BLSSignatureSize)
	}
	s := new(blst.P2Affine).Uncompress(b)
	if s == nil {
		return nil, fmt.Errorf("%w: not a compressed curve point", ErrBLSSignature)
	}
	if !s.SigValidate(false) {
		return nil, fmt.Errorf("%w: not in the subgroup", ErrBLSSignature)
	}
	return s, nil
}
