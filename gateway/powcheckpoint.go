package gateway

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"

	"github.com/aspen-chain/aspen/types"
)

// Work-proven checkpoints (CROSSNET.md, "Bottom-up from a PoW child"): a
// PoW child has no validators whose signatures mean anything, so nobody
// signs its checkpoints. submitPowCheckpoint takes instead a segment of the
// child's header chain, from the block of its last committed checkpoint (its
// genesis before the first) to confirmations blocks past the new one, each
// header following its parent by the engine's rules, and a Merkle proof of
// the child gateway's counters and up accumulator in the state root of the
// checkpoint's block. The segment's work stands where a quorum's signatures
// stand for a BFT child; the firewall bounds what it can take either way.

// Limits of a segment submission, checked before anything is decoded.
const (
	// MaxPowHeaders bounds a segment: checkpointPeriod + confirmations + 1
	// headers must fit it (about 620 bytes each).
	MaxPowHeaders = 192
	// MaxPowHeadersBytes bounds the encoded segment.
	MaxPowHeadersBytes = 120 << 10
	// MaxPowProofBytes bounds the encoded state proof, MaxPowProofNodes its
	// trie nodes and maxProofNode one node (a full branch node is 532 bytes).
	MaxPowProofBytes = 32 << 10
	MaxPowProofNodes = 128
	maxProofNode     = 1024
	// MaxPowFutureMs is how far past this chain's block time a child header
	// may be stamped. It keeps a forger from spreading timestamps ahead of
	// real time to drive the difficulty down.
	MaxPowFutureMs = 15_000
)

var (
	// ErrNoPowVerifier: this chain was built without a PowVerifier.
	ErrNoPowVerifier = errors.New("gateway: this chain cannot check proof-of-work headers")
	// ErrPowProof reports a state proof that does not prove what it must.
	ErrPowProof = errors.New("gateway: invalid state proof")
)

// PowVerifier checks a PoW child's headers for submitPowCheckpoint. The node
// builds it from its consensus kinds and its genesis code; like every input
// of the gateway it must answer alike on every node.
type PowVerifier interface {
	// ChildGenesisHash is the hash of block 0 of the child g describes (g
	// as ReadChildGenesis reads it from this chain, which activated the
	// child in its block g.ActivatedAt).
	ChildGenesisHash(g *ChildGenesis) (common.Hash, error)
	// CheckHeader checks that h follows parent by the rules of the engine of
	// the child id, whose parameters are p: link, height, time, difficulty
	// and the work it asks.
	CheckHeader(id types.SubnetID, p Params, parent, h *types.Header) error
}

// Clock is the time of the block being executed, in seconds.
// execution/evm's State implements it; submitPowCheckpoint needs it.
type Clock interface {
	BlockTime() uint64
}

// PowProofSlots are the slots of the child gateway a proof for a
// checkpoint carrying messages after up nonce upApplied must prove, in this
// order: the up nonce, the top-down nonce applied, the own config number,
// and (if the checkpoint carries messages) the up accumulator at its last.
func PowProofSlots(upApplied uint64, messages int) []common.Hash {
	slots := []common.Hash{upNonceSlot(), AppliedSlot(), ownConfigSlot()}
	if messages > 0 {
		slots = append(slots, upAccSlot(upApplied+uint64(messages)))
	}
	return slots
}

// EncodePowProof is the proof argument of submitPowCheckpoint (and of
// claim, which proves one account the same way): the RLP list
// of trie nodes proving the gateway account in a state trie and the slots
// in its storage trie (eth_getProof's accountProof and storageProof nodes,
// in any order; duplicates may be left out).
func EncodePowProof(nodes [][]byte) ([]byte, error) {
	enc, err := rlp.EncodeToBytes(nodes)
	if err != nil {
		return nil, err
	}
	if len(enc) > MaxPowProofBytes || len(nodes) > MaxPowProofNodes {
		return nil, fmt.Errorf("%w: %d nodes, %d bytes, over the limit of %d nodes, %d bytes", ErrPowProof, len(nodes), len(enc), MaxPowProofNodes, MaxPowProofBytes)
	}
	return enc, nil
}

// EncodePowHeaders is the headers argument of submitPowCheckpoint.
func EncodePowHeaders(hs []*types.Header) ([]byte, error) {
	if len(hs) > MaxPowHeaders {
		return nil, fmt.Errorf("gateway: %d headers, over the limit of %d", len(hs), MaxPowHeaders)
	}
	enc, err := rlp.EncodeToBytes(hs)
	if err != nil {
		return nil, err
	}
	if len(enc) > MaxPowHeadersBytes {
		return nil, fmt.Errorf("gateway: %d headers take %d bytes, over the limit of %d", len(hs), len(enc), MaxPowHeadersBytes)
	}
	return enc, nil
}

func decodePowHeaders(enc []byte) ([]*types.Header, error) {
	if len(enc) > MaxPowHeadersBytes {
		return nil, fmt.Errorf("%d bytes, over the limit of %d", len(enc), MaxPowHeadersBytes)
	}
	var hs []*types.Header
	if err := rlp.DecodeBytes(enc, &hs); err != nil {
		return nil, err
	}
	if len(hs) > MaxPowHeaders {
		return nil, fmt.Errorf("%d headers, over the limit of %d", len(hs), MaxPowHeaders)
	}
	return hs, nil
}

// proofNodes is a proof's trie nodes by hash, as trie.VerifyProof reads them.
type proofNodes map[common.Hash][]byte

func (p proofNodes) Has(key []byte) (bool, error) {
	_, ok := p[common.BytesToHash(key)]
	return ok, nil
}

func (p proofNodes) Get(key []byte) ([]byte, error) {
	if n, ok := p[common.BytesToHash(key)]; ok {
		return n, nil
	}
	return nil, errors.New("proof node missing")
}

func decodePowProof(enc []byte) (proofNodes, error) {
	if len(enc) > MaxPowProofBytes {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrPowProof, len(enc), MaxPowProofBytes)
	}
	var nodes [][]byte
	if err := rlp.DecodeBytes(enc, &nodes); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPowProof, err)
	}
	if len(nodes) > MaxPowProofNodes {
		return nil, fmt.Errorf("%w: %d nodes, over the limit of %d", ErrPowProof, len(nodes), MaxPowProofNodes)
	}
	p := make(proofNodes, len(nodes))
	for i, n := range nodes {
		if len(n) > maxProofNode {
			return nil, fmt.Errorf("%w: node %d has %d bytes, no trie node has more than %d", ErrPowProof, i, len(n), maxProofNode)
		}
		p[crypto.Keccak256Hash(n)] = n
	}
	return p, nil
}

// proveAccount reads addr's account in the state with root, through the
// proof's nodes; nil if the proof shows it absent.
func proveAccount(p proofNodes, root common.Hash, addr common.Address) (*gethtypes.StateAccount, error) {
	enc, err := trie.VerifyProof(root, crypto.Keccak256(addr.Bytes()), p)
	if err != nil {
		return nil, fmt.Errorf("%w: account %s: %v", ErrPowProof, addr, err)
	}
	if len(enc) == 0 {
		return nil, nil
	}
	var acc gethtypes.StateAccount
	if err := rlp.DecodeBytes(enc, &acc); err != nil {
		return nil, fmt.Errorf("%w: account %s: %v", ErrPowProof, addr, err)
	}
	return &acc, nil
}

// proveSlots reads slots of the gateway's storage in the state with root,
// through the proof's nodes. A slot the proof shows absent reads zero.
func proveSlots(p proofNodes, root common.Hash, slots []common.Hash) ([]common.Hash, error) {
	acc, err := proveAccount(p, root, Address)
	if err != nil {
		return nil, err
	}
	if acc == nil {
		return nil, fmt.Errorf("%w: the state has no gateway account", ErrPowProof)
	}
	out := make([]common.Hash, len(slots))
	for i, s := range slots {
		v, err := trie.VerifyProof(acc.Root, crypto.Keccak256(s[:]), p)
		if err != nil {
			return nil, fmt.Errorf("%w: slot %s: %v", ErrPowProof, s, err)
		}
		if len(v) == 0 {
			continue
		}
		_, content, _, err := rlp.Split(v)
		if err != nil || len(content) > 32 {
			return nil, fmt.Errorf("%w: slot %s holds %x, not a word", ErrPowProof, s, v)
		}
		out[i] = common.BytesToHash(content)
	}
	return out, nil
}

// submitPowCheckpoint is IGateway.submitPowCheckpoint.
func (x *call) submitPowCheckpoint(enc, headersEnc, proofEnc []byte) error {
	cp, name, id, err := x.checkpointFor("submitPowCheckpoint", enc)
	if err != nil {
		return err
	}
	if Engine(getU64(x.st, name, fEngine)) != EnginePoW {
		return reverted("gateway: %s is not a PoW subnet: its validators sign its checkpoints; use submitCheckpoint(checkpoint, aggregateSignature, signerBitmap)", id)
	}
	hash := cp.Hash()
	lastHeight, lastHash := getU64(x.st, name, fLastCkptHeight), x.st.GetState(fieldSlot(name, fLastCkptHash))
	if lastHeight > 0 && cp.Height == lastHeight && hash == lastHash {
		return nil // another submitter was first
	}
	if delivering(x.st) {
		return reverted("gateway: submitPowCheckpoint cannot run inside a cross-message call; submit it in a transaction of its own")
	}
	if x.g.pow == nil {
		return reverted("gateway: submitPowCheckpoint: %v", ErrNoPowVerifier)
	}
	clock, ok := x.st.(Clock)
	if !ok {
		return reverted("gateway: submitPowCheckpoint: this chain's state has no block time to check header times against")
	}
	if err := x.checkPosition(name, cp, hash, lastHeight, lastHash); err != nil {
		return err
	}
	child := types.SubnetID(id)
	for i := range cp.Messages {
		if err := checkUpMessage(x.g.subnet, child, i, &cp.Messages[i]); err != nil {
			return reverted("gateway: checkpoint at height %d of %s: %v", cp.Height, id, err)
		}
	}
	if cp.Config != cp.AppliedConfig {
		return reverted("gateway: checkpoint at height %d of %s names config %d and applied config %d: a PoW child's checkpoint reports the set it applied as both", cp.Height, id, cp.Config, cp.AppliedConfig)
	}
	anchor, err := x.powSegment(name, cp, lastHeight, headersEnc, clock)
	if err != nil {
		return err
	}
	acc, err := x.powState(name, cp, proofEnc)
	if err != nil {
		return err
	}
	committed, err := x.commitCheckpoint(name, cp, hash, nil)
	if err != nil || !committed {
		return err
	}
	x.st.SetState(fieldSlot(name, fPowAnchor), anchor)
	x.st.SetState(fieldSlot(name, fPowUpAcc), acc)
	return nil
}

// powSegment checks the header segment of cp: it starts at the block the
// last committed checkpoint named (the child's genesis before the first),
// every header follows its parent by the engine's rules, none is stamped
// in the future, it reaches confirmations blocks past cp.Height, and cp's
// block hash and state root are its header's at cp.Height. It returns
// the hash of that header, where the next segment starts.
func (x *call) powSegment(name string, cp *types.Checkpoint, lastHeight uint64, enc []byte, clock Clock) (common.Hash, error) {
	id := x.id(name)
	fail := func(format string, args ...any) error {
		return reverted("gateway: checkpoint at height %d of %s: header segment: %s", cp.Height, id, fmt.Sprintf(format, args...))
	}
	hs, err := decodePowHeaders(enc)
	if err != nil {
		return common.Hash{}, fail("%v", err)
	}
	params := readParams(x.st, name)
	conf := uint64(params.Confirmations)
	top := cp.Height + conf
	if want := top - lastHeight + 1; uint64(len(hs)) != want {
		return common.Hash{}, fail("%d headers; want the %d from block %d (the last checkpoint's) to block %d (%d confirmations past the checkpoint)",
			len(hs), want, lastHeight, top, conf)
	}
	var anchor common.Hash
	if lastHeight == 0 {
		g, err := ReadChildGenesis(x.st, x.g.subnet, types.SubnetID(id))
		if err != nil {
			return common.Hash{}, err
		}
		if anchor, err = x.g.pow.ChildGenesisHash(g); err != nil {
			return common.Hash{}, fail("genesis of %s: %v", id, err)
		}
	} else if anchor = x.st.GetState(fieldSlot(name, fPowAnchor)); anchor == (common.Hash{}) {
		return common.Hash{}, fail("no header of %s is recorded for its checkpoint at %d (committed before checkpoints of PoW subnets were proven by work)", id, lastHeight)
	}
	if got := hs[0].Hash(); hs[0].Height != lastHeight || got != anchor {
		return common.Hash{}, fail("starts at block %d %s, but must start at block %d %s, the child's block of its last committed checkpoint (its genesis before the first)",
			hs[0].Height, got, lastHeight, anchor)
	}
	latest := clock.BlockTime()*1000 + MaxPowFutureMs
	for i := 1; i < len(hs); i++ {
		h := hs[i]
		switch {
		case h.SubnetID != types.SubnetID(id):
			return common.Hash{}, fail("header %d is of %s", h.Height, h.SubnetID)
		case h.TimeMs > latest:
			return common.Hash{}, fail("header %d is stamped %d ms, more than %d ms past this block's time %d s", h.Height, h.TimeMs, MaxPowFutureMs, clock.BlockTime())
		}
		if err := x.g.pow.CheckHeader(types.SubnetID(id), params, hs[i-1], h); err != nil {
			return common.Hash{}, fail("header %d does not follow header %d: %v", h.Height, hs[i-1].Height, err)
		}
	}
	at := hs[cp.Height-lastHeight]
	hash := at.Hash()
	if cp.BlockHash != hash || cp.StateRoot != at.StateRoot {
		return common.Hash{}, fail("the checkpoint names block %s with state root %s, but the segment's block %d is %s with state root %s",
			cp.BlockHash, cp.StateRoot, cp.Height, hash, at.StateRoot)
	}
	return hash, nil
}

// powState checks cp's counters and messages against the child gateway's
// storage in cp.StateRoot, through the proof, and returns the child's up
// accumulator after cp's last message.
func (x *call) powState(name string, cp *types.Checkpoint, enc []byte) (common.Hash, error) {
	id := x.id(name)
	fail := func(format string, args ...any) error {
		return reverted("gateway: checkpoint at height %d of %s: %s", cp.Height, id, fmt.Sprintf(format, args...))
	}
	p, err := decodePowProof(enc)
	if err != nil {
		return common.Hash{}, fail("%v", err)
	}
	applied := getU64(x.st, name, fUpApplied)
	words, err := proveSlots(p, cp.StateRoot, PowProofSlots(applied, len(cp.Messages)))
	if err != nil {
		return common.Hash{}, fail("%v", err)
	}
	upNonce, downApplied, config := wordU64(words[0]), wordU64(words[1]), wordU64(words[2])
	last := applied + uint64(len(cp.Messages))
	switch {
	case cp.DownApplied != downApplied:
		return common.Hash{}, fail("it says top-down message %d was applied; the child's state says %d", cp.DownApplied, downApplied)
	case cp.AppliedConfig != config:
		return common.Hash{}, fail("it says config %d was applied; the child's state says %d", cp.AppliedConfig, config)
	case last > upNonce:
		return common.Hash{}, fail("it carries up messages to nonce %d; the child's up queue ends at %d", last, upNonce)
	case upNonce > applied && len(cp.Messages) == 0:
		return common.Hash{}, fail("it carries no message, but up messages %d to %d are waiting", applied+1, upNonce)
	}
	acc := x.st.GetState(fieldSlot(name, fPowUpAcc))
	for i := range cp.Messages {
		acc = NextUpAcc(acc, &cp.Messages[i])
	}
	if len(cp.Messages) > 0 && acc != words[3] {
		return common.Hash{}, fail("its messages %d to %d are not the child's: they accumulate to %s, the child's up accumulator at %d is %s",
			applied+1, last, acc, last, words[3])
	}
	return acc, nil
}

// powCheckpointGas prices submitPowCheckpoint on the chain self (gas.go).
func powCheckpointGas(g *Gateway, st StateReader, enc, headers, proof []byte) uint64 {
	gas := gasHash + gasHashWord*uint64((len(enc)+31)/32)
	cp, err := types.DecodeCheckpoint(enc)
	if err != nil {
		return gas
	}
	name, err := childName(g.subnet, types.SubnetID(cp.Subnet))
	if err != nil || !exists(st, name) || statusOf(st, name) != StatusActive {
		return gas
	}
	gas += gasRead * 17 // 14, and 3 for the stall check
	lastHeight := getU64(st, name, fLastCkptHeight)
	if lastHeight > 0 && cp.Height == lastHeight && cp.Hash() == st.GetState(fieldSlot(name, fLastCkptHash)) {
		return gas
	}
	gas += gasRead * (uint64(subnetFields) + 4)
	// Each header: decoded, hashed as a link and for its work, retargeted.
	hs, err := decodePowHeaders(headers)
	if err != nil {
		return gas
	}
	for _, h := range hs {
		words := uint64((len(mustRLP(h)) + 31) / 32)
		gas += gasPowHeader + 3*(gasHash+gasHashWord*words)
	}
	if lastHeight == 0 {
		gas += genesisHashGas(st, name)
	}
	// The proof: each node hashed once when decoded and once per lookup.
	gas += 2 * (gasHash + gasHashWord*uint64((len(proof)+31)/32))
	gas += gasProofSlot * 5
	total := new(big.Int)
	for _, m := range cp.Messages {
		total.Add(total, m.Value)
		gas += 2*gasHash + gasHashWord*(2+uint64((len(mustRLP(&m))+31)/32))
	}
	if total.Cmp(getBig(st, name, fCirculating)) > 0 {
		return gas + gasEvent + gasLogByte*maxReasonBytes
	}
	gas += gasWrite*12 + gasEvent
	due, slots := releasesDue(st, name, cp.AppliedConfig, false)
	gas += (gasPayout+gasEvent)*due + gasWrite*slots
	for _, m := range cp.Messages {
		gas += routeGas(st, g.subnet, m)
	}
	return gas
}

// genesisHashGas prices ChildGenesisHash for the first segment: reading the
// child's genesis record and fund messages, and building its genesis state
// in memory (gasGenesisAccount per account funded, and the validator record
// decoded and written into its gateway).
func genesisHashGas(st StateReader, name string) uint64 {
	funds := getU64(st, name, fGenesisNonce)
	record := blobSlots(int(wordU64(st.GetState(genesisSlot(name)))))
	return gasRead*(2+record+funds*messageSlots) + gasGenesisBase + gasGenesisAccount*(funds+1) + gasHashWord*32*record
}
