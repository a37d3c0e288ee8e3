package xnet

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Errors for peers' checkpoint signatures. PeerFault tells which prove the
// sender wrong rather than merely late or ahead of this node.
var (
	// ErrMalformedSignature reports bytes that are not a checkpoint signature
	// message (it wraps types.ErrInvalidCheckpointSignature too).
	ErrMalformedSignature = errors.New("xnet: malformed checkpoint signature")
	// ErrWrongSubnet reports a signature for another subnet's checkpoint.
	ErrWrongSubnet = errors.New("xnet: checkpoint signature for another subnet")
	// ErrWrongHeight reports a height that is not a checkpoint height, or is
	// further ahead of the parent than any honest validator signs.
	ErrWrongHeight = errors.New("xnet: not a checkpoint height")
	// ErrStale reports a signature of a checkpoint at or below the parent's
	// last: too late to matter, not wrong.
	ErrStale = errors.New("xnet: checkpoint already committed by the parent")
	// ErrUnknownCheckpoint reports a signature of a checkpoint other than the
	// one this node built at that height.
	ErrUnknownCheckpoint = errors.New("xnet: signature of a checkpoint this node did not build")
	// ErrUnknownValidator reports a signer index outside the checkpoint's
	// config.
	ErrUnknownValidator = errors.New("xnet: checkpoint signer is not in the config's validator set")
	// ErrDuplicateSignature reports a second signature by one validator for
	// one checkpoint. The first valid one counts; copies change nothing.
	ErrDuplicateSignature = errors.New("xnet: validator already signed this checkpoint")
	// ErrForgedSignature reports a signature that does not verify against the
	// validator's key.
	ErrForgedSignature = errors.New("xnet: checkpoint signature does not verify")
	// ErrBufferFull reports a signature of a checkpoint not built yet that
	// did not fit in the buffer; the signer gossips it again later.
	ErrBufferFull = errors.New("xnet: too many signatures of checkpoints not built yet")
)

// PeerFault reports whether err, from Step with a PeerSignature, proves the
// message invalid whoever receives it, so gossip should reject it and
// penalise the peer. Other errors (stale, duplicate, a checkpoint this node
// computed differently, a full buffer) mean "ignore".
func PeerFault(err error) bool {
	return errors.Is(err, ErrMalformedSignature) || errors.Is(err, ErrWrongSubnet) ||
		errors.Is(err, ErrWrongHeight) || errors.Is(err, ErrUnknownValidator) || errors.Is(err, ErrForgedSignature)
}

// signerSet is a config's validators with the position of this node's key.
type signerSet struct {
	keys   [][]byte
	powers []uint64
	quorum uint64
	self   int // -1: not a signer
}

// round is one built checkpoint above the parent's last and its signatures.
type round struct {
	built  *Built
	set    *signerSet
	msg    []byte         // SigningBytes
	sigs   map[int][]byte // verified signatures by validator index
	power  uint64
	quorum bool
	own    []byte // own encoded signature message, for re-gossip
}

func (r *Relayer) signerSet(config uint64) (*signerSet, error) {
	if s := r.sets[config]; s != nil {
		return s, nil
	}
	keys, powers, err := r.cfg.Signers.Signers(config)
	if err != nil {
		return nil, fmt.Errorf("xnet: signers of config %d: %w", config, err)
	}
	ks, err := crypto.NewKeySet(keys, powers)
	if err != nil {
		return nil, fmt.Errorf("xnet: signers of config %d: %w", config, err)
	}
	s := &signerSet{powers: slices.Clone(powers), quorum: ks.Quorum(), self: -1}
	for i, k := range keys {
		s.keys = append(s.keys, bytes.Clone(k))
		if r.cfg.Key != nil {
			if pub := r.cfg.Key.PublicKey(); bytes.Equal(k, pub[:]) {
				s.self = i
			}
		}
	}
	r.sets[config] = s
	return s, nil
}

// openRound builds the checkpoint at h, signs it if this node is a signer,
// and counts the signatures that arrived for it early.
func (r *Relayer) openRound(h uint64) error {
	b, err := r.chain.At(h)
	if err != nil {
		return err
	}
	set, err := r.signerSet(b.Checkpoint.Config)
	if err != nil {
		return err
	}
	rd := &round{built: b, set: set, msg: b.Checkpoint.SigningBytes(r.network), sigs: make(map[int][]byte)}
	r.rounds[h] = rd
	var signErr error
	if set.self >= 0 {
		signErr = r.signOwn(rd)
	}
	for _, s := range r.future[h] {
		_ = r.addSignature(rd, s) // unverified when buffered; bad ones are dropped here
	}
	r.nFuture -= len(r.future[h])
	delete(r.future, h)
	return signErr
}

// signOwn signs rd's checkpoint unless the key signed a different one at its
// height. Signing the same one again (after a restart) gives the same bytes:
// BLS signatures are deterministic.
func (r *Relayer) signOwn(rd *round) error {
	h, hash := rd.built.Link.Height, rd.built.Link.Hash
	prev, signed := r.guard[h]
	if signed && prev != hash {
		return fmt.Errorf("%w: height %d: signed %s before, now computed %s", ErrConflictingCheckpoint, h, prev, hash)
	}
	sig := r.cfg.Key.Sign(rd.msg)
	enc, err := types.EncodeCheckpointSignature(&types.CheckpointSignature{
		Subnet: string(r.cfg.Params.Subnet), Height: h, Hash: hash, Validator: uint32(rd.set.self), Signature: sig,
	})
	if err != nil {
		panic("xnet: own checkpoint signature does not encode: " + err.Error()) // fixed-size fields and a valid subnet
	}
	if !signed {
		r.guard[h] = hash
		r.ready.Persist = append(r.ready.Persist, Signed{Height: h, Hash: hash})
	}
	rd.own = enc
	rd.sigs[rd.set.self] = sig
	rd.power += rd.set.powers[rd.set.self]
	rd.quorum = rd.power >= rd.set.quorum
	r.ready.Gossip = append(r.ready.Gossip, enc)
	return nil
}

// onSignature checks a peer's signature message and counts it, or keeps it
// for a checkpoint this node has not built yet.
func (r *Relayer) onSignature(data []byte) error {
	s, err := types.DecodeCheckpointSignature(data)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	if s.Subnet != string(r.cfg.Params.Subnet) {
		return fmt.Errorf("%w: %q, this relayer serves %s", ErrWrongSubnet, s.Subnet, r.cfg.Params.Subnet)
	}
	p := r.cfg.Params.Period
	if s.Height == 0 || s.Height%p != 0 {
		return fmt.Errorf("%w: %d is not a positive multiple of the period %d", ErrWrongHeight, s.Height, p)
	}
	if r.parentKnown && s.Height <= r.parent.Height {
		return fmt.Errorf("%w: signature for %d, parent is at %d", ErrStale, s.Height, r.parent.Height)
	}
	if rd := r.rounds[s.Height]; rd != nil {
		return r.addSignature(rd, s)
	}
	// Peers whose view of the parent is ahead of ours sign up to a window
	// further; twice the window leaves room for that and no more.
	if r.parentKnown && s.Height > r.parent.Height+2*r.cfg.Window*p {
		return fmt.Errorf("%w: %d is more than %d checkpoints beyond the parent's last at %d",
			ErrWrongHeight, s.Height, 2*r.cfg.Window, r.parent.Height)
	}
	for _, old := range r.future[s.Height] {
		if old.Validator == s.Validator && old.Hash == s.Hash && bytes.Equal(old.Signature, s.Signature) {
			return fmt.Errorf("%w: validator %d at %d, not checked yet", ErrDuplicateSignature, s.Validator, s.Height)
		}
	}
	if r.nFuture >= r.cfg.MaxBuffered {
		return fmt.Errorf("%w: %d held; dropped validator %d's signature for %d", ErrBufferFull, r.nFuture, s.Validator, s.Height)
	}
	r.future[s.Height] = append(r.future[s.Height], s)
	r.nFuture++
	return nil
}

// addSignature verifies s against rd and counts it. Cheap checks come first,
// so copies and strangers cost no pairing.
func (r *Relayer) addSignature(rd *round, s *types.CheckpointSignature) error {
	h := rd.built.Link.Height
	if s.Hash != rd.built.Link.Hash {
		return fmt.Errorf("%w: validator %d signed %s at %d, this node built %s", ErrUnknownCheckpoint, s.Validator, s.Hash, h, rd.built.Link.Hash)
	}
	if uint64(s.Validator) >= uint64(len(rd.set.keys)) {
		return fmt.Errorf("%w: index %d at %d, config %d has %d validators",
			ErrUnknownValidator, s.Validator, h, rd.built.Checkpoint.Config, len(rd.set.keys))
	}
	v := int(s.Validator)
	if _, dup := rd.sigs[v]; dup {
		return fmt.Errorf("%w: validator %d at %d", ErrDuplicateSignature, v, h)
	}
	if !crypto.VerifyBLS(rd.set.keys[v], rd.msg, s.Signature) {
		return fmt.Errorf("%w: validator %d at %d (key %#x)", ErrForgedSignature, v, h, rd.set.keys[v])
	}
	rd.sigs[v] = bytes.Clone(s.Signature)
	rd.power += rd.set.powers[v]
	rd.quorum = rd.power >= rd.set.quorum
	return nil
}
