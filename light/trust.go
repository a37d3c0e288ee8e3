package light

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// Bounds on what one header answer may hold before it is parsed.
const (
	maxHeaderSize     = 64 << 10  // a header with a full NextValidators set (500 seats) is ~40 KB
	maxCommitSize     = 1 << 10   // a 96-byte signature, a 63-byte bitmap, a hash, small numbers
	maxValidatorsSize = 128 << 10 // 500 seats of ~100 bytes
	// maxFetchesPerSync bounds the headers one sync may download, so a
	// server cannot make the client bisect forever.
	maxFetchesPerSync = 256
)

// Trusted is what the client has verified of the root chain: its newest
// verified header, and the validator set it trusts with the height of the
// header that announced it (0: the genesis). It is what Store keeps.
type Trusted struct {
	Genesis   common.Hash    `json:"genesis"` // config.Genesis.Hash of the root
	Subnet    types.SubnetID `json:"subnet"`
	Engine    string         `json:"engine"`
	ChainID   uint64         `json:"chainId"` // the root's EIP-155 chain ID
	Height    uint64         `json:"height"`
	Hash      common.Hash    `json:"hash"`
	StateRoot common.Hash    `json:"stateRoot"`
	// Validators decide the heights after SetHeight until a header above
	// it announces another set (Header.NextValidators).
	Validators []types.Validator `json:"validators"`
	SetHeight  uint64            `json:"setHeight"`
}

// TrustGenesis returns the client's starting point: the genesis's validator
// set, trusted to decide height 1.
func TrustGenesis(g *config.Genesis) (*Trusted, error) {
	kind, err := consensus.LookupKind(g.Engine)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	if kind.VerifyCommit == nil {
		return nil, fmt.Errorf("%w: the root's engine %s makes no commit certificates; the light client needs one that does (bft)", ErrGenesis, g.Engine)
	}
	if !g.ID().IsRoot() {
		return nil, fmt.Errorf("%w: %s is not a root chain's genesis", ErrGenesis, g.SubnetID)
	}
	hash, err := g.Hash()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	vs := make([]types.Validator, len(g.Validators))
	for i, v := range g.Validators {
		vs[i] = types.Validator{Address: v.Address, BLSPublicKey: bytes.Clone(v.BLSPublicKey), Power: v.VotingPower()}
	}
	return &Trusted{Genesis: hash, Subnet: g.ID(), Engine: g.Engine, ChainID: g.ChainID, Validators: vs}, nil
}

// header is a header the client checked against a certificate, with the
// set that signed it.
type header struct {
	*types.Header
	signers *consensus.ValidatorSet
	commit  *types.Commit
}

// decodeLightBlock parses a light block within the size bounds and checks
// what needs no trust: the header is of the chain and height asked for,
// and the certificate names this header and verifies against the set sent
// with it. Whether that set is one to trust is verifyAgainst's question.
func decodeLightBlock(raw *rawLightBlock, kind consensus.Kind, subnet types.SubnetID, height uint64) (*header, error) {
	if len(raw.Header) > maxHeaderSize || len(raw.Commit) > maxCommitSize || len(raw.Validators) > maxValidatorsSize {
		return nil, fmt.Errorf("%w: light block of %d/%d/%d bytes, over the limits", ErrResponse, len(raw.Header), len(raw.Commit), len(raw.Validators))
	}
	h := new(types.Header)
	if err := rlp.DecodeBytes(raw.Header, h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrResponse, err)
	}
	c, err := types.DecodeCommit(raw.Commit)
	if err != nil {
		return nil, fmt.Errorf("%w: commit: %v", ErrResponse, err)
	}
	var vals []types.Validator
	if err := rlp.DecodeBytes(raw.Validators, &vals); err != nil {
		return nil, fmt.Errorf("%w: validators: %v", ErrResponse, err)
	}
	switch {
	case h.SubnetID != subnet:
		return nil, fmt.Errorf("%w: header of %s, asked for %s", ErrForgedHeader, h.SubnetID, subnet)
	case height != 0 && h.Height != height:
		return nil, fmt.Errorf("%w: header at height %d, asked for %d", ErrForgedHeader, h.Height, height)
	case h.Height == 0:
		return nil, fmt.Errorf("%w: a genesis header where a certified block was asked for", ErrForgedHeader)
	case c.Height != h.Height || c.BlockHash != h.Hash():
		return nil, fmt.Errorf("%w: certificate for block %s at %d, header %s at %d", ErrForgedHeader, c.BlockHash, c.Height, h.Hash(), h.Height)
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return nil, fmt.Errorf("%w: validator set: %v", ErrResponse, err)
	}
	if err := kind.VerifyCommit(vs, subnet, c); err != nil {
		return nil, fmt.Errorf("%w: block %d: %w", ErrForgedHeader, h.Height, err)
	}
	return &header{Header: h, signers: vs, commit: c}, nil
}

// verifyAgainst decides whether h, whose certificate holds for the set it
// came with, is signed by enough of the trusted set: more than two thirds
// when it is the trusted set itself, more than one third of the trusted
// stake otherwise (at least one honest validator the client trusts signed
// it: the skipping rule of light clients for Tendermint).
func verifyAgainst(h *header, trusted []types.Validator) error {
	if sameSet(h.signers.All(), trusted) {
		return nil // VerifyCommit found more than 2/3 of this very set
	}
	power := map[string]uint64{}
	var total uint64
	for _, v := range trusted {
		power[string(v.BLSPublicKey)] = v.Power
		total += v.Power
	}
	var signed uint64
	for i := range h.signers.Len() {
		if h.commit.HasSigner(i) {
			k := string(h.signers.At(i).BLSPublicKey)
			signed += power[k]
			delete(power, k) // a key counts once, however many seats name it
		}
	}
	if 3*signed > total {
		return nil
	}
	return fmt.Errorf("%w: block %d: signers hold %d of the %d trusted power, not more than a third", ErrNotTrusted, h.Height, signed, total)
}

func sameSet(a, b []types.Validator) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Address != b[i].Address || a[i].Power != b[i].Power || !bytes.Equal(a[i].BLSPublicKey, b[i].BLSPublicKey) {
			return false
		}
	}
	return true
}

// syncer moves a Trusted forward with headers from a remote.
type syncer struct {
	remote   *Remote
	kind     consensus.Kind
	t        *Trusted
	fetches  int
	bytes    int    // header bytes verified in this sync, for measurements
	target   uint64 // the remote's head this sync moves to
	progress func(trusted, target uint64)
}

func (s *syncer) fetch(ctx context.Context, height uint64) (*header, error) {
	if s.fetches++; s.fetches > maxFetchesPerSync {
		return nil, fmt.Errorf("%w: more than %d headers needed to reach the server's head; it may be lying about validator sets", ErrNotTrusted, maxFetchesPerSync)
	}
	raw, err := s.remote.lightBlock(ctx, s.t.Subnet, height)
	if err != nil {
		return nil, err
	}
	s.bytes += raw.size()
	return decodeLightBlock(raw, s.kind, s.t.Subnet, height)
}

// accept makes h the newest trusted header if it is newer, and adopts the
// set h announces.
func (s *syncer) accept(h *header) {
	if h.Height > s.t.Height {
		s.t.Height, s.t.Hash, s.t.StateRoot = h.Height, h.Hash(), h.StateRoot
	}
	if s.progress != nil {
		s.progress(s.t.Height, s.target)
	}
	if len(h.NextValidators) > 0 && h.Height >= s.t.SetHeight {
		s.t.Validators, s.t.SetHeight = types.CopyValidators(h.NextValidators), h.Height
	}
}

// advance verifies target (already fetched and certified) and makes it
// trusted. If too little trusted stake signed it, it searches, by
// bisection between the trusted set's announcement and target, the block
// that changed the set, verifies that block with the trusted set, adopts
// the set it announces and tries again.
func (s *syncer) advance(ctx context.Context, target *header) error {
	for {
		err := verifyAgainst(target, s.t.Validators)
		if err == nil {
			s.accept(target)
			return nil
		}
		if !errors.Is(err, ErrNotTrusted) {
			return err
		}
		change, err2 := s.findChange(ctx, target.Height)
		if err2 != nil {
			return fmt.Errorf("%w (and no set change could be verified: %w)", err, err2)
		}
		s.accept(change)
	}
}

// findChange returns the block that announced the set after the trusted
// one: the highest block below target that the trusted set signed and that
// carries NextValidators. Blocks the trusted set signed come first (lo),
// others after (hi); the server's sets steer the search, but the block
// found is accepted only if the trusted set certified it and it announces
// a set.
func (s *syncer) findChange(ctx context.Context, target uint64) (*header, error) {
	lo, hi := s.t.SetHeight, target // the trusted set signed lo+1 (by definition); not target
	var found *header
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		h, err := s.fetch(ctx, mid)
		if err != nil {
			return nil, err
		}
		if sameSet(h.signers.All(), s.t.Validators) {
			lo, found = mid, h
		} else {
			hi = mid
		}
	}
	if found == nil || found.Height != lo {
		if lo == s.t.SetHeight {
			return nil, fmt.Errorf("%w: the server says block %d was signed by another set than the one block %d announced", ErrNotTrusted, lo+1, lo)
		}
		h, err := s.fetch(ctx, lo)
		if err != nil {
			return nil, err
		}
		found = h
	}
	if !sameSet(found.signers.All(), s.t.Validators) {
		return nil, fmt.Errorf("%w: block %d is not signed by the trusted set", ErrNotTrusted, found.Height)
	}
	if len(found.NextValidators) == 0 {
		return nil, fmt.Errorf("%w: the set changes after block %d, which announces no new set", ErrNotTrusted, found.Height)
	}
	return found, nil
}

// Sync brings t up to the remote's newest final root block. It returns the
// number of header bytes it verified.
func Sync(ctx context.Context, remote *Remote, t *Trusted) (int, error) {
	return syncShowing(ctx, remote, t, nil)
}

// syncShowing is Sync telling progress (when not nil) the trusted height
// and the target each time it moves.
func syncShowing(ctx context.Context, remote *Remote, t *Trusted, progress func(trusted, target uint64)) (int, error) {
	kind, err := consensus.LookupKind(t.Engine)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	if kind.VerifyCommit == nil {
		return 0, fmt.Errorf("%w: engine %s makes no commit certificates", ErrGenesis, t.Engine)
	}
	s := &syncer{remote: remote, kind: kind, t: t, progress: progress}
	head, err := s.fetch(ctx, 0)
	if err != nil {
		return s.bytes, err
	}
	if s.target = head.Height; progress != nil {
		progress(t.Height, head.Height)
	}
	if head.Height < t.Height {
		return s.bytes, fmt.Errorf("%w: the server's newest root block is %d, below the %d already verified: it is behind or on another chain", ErrResponse, head.Height, t.Height)
	}
	if head.Height == t.Height {
		if head.Hash() != t.Hash {
			return s.bytes, fmt.Errorf("%w: block %d is %s, but %s was verified: the server is on a fork", ErrForgedHeader, head.Height, head.Hash(), t.Hash)
		}
		return s.bytes, nil
	}
	return s.bytes, s.advance(ctx, head)
}
