package node

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// What a light client asks for (docs/LIGHT.md). Every answer is raw,
// encoded chain data the client checks itself: headers and commits in RLP,
// checkpoints in their canonical encoding, Merkle proofs as eth_getProof
// gives them. The node vouches for nothing.

// MaxLightCheckpoints bounds how many checkpoints one
// aspen_getCheckpointProof walks back, so an answer stays small.
const MaxLightCheckpoints = 64

var errLight = errors.New("node: light client request")

// LightBlock is aspen_getLightBlock's answer: a final header, its commit
// certificate and the validator set that signed it (the set deciding its
// height), each RLP-encoded.
type LightBlock struct {
	Header     hexutil.Bytes `json:"header"`
	Commit     hexutil.Bytes `json:"commit"`
	Validators hexutil.Bytes `json:"validators"` // rlp([]types.Validator)
}

// GetLightBlock is aspen_getLightBlock: the final block of subnet at height
// (the final head when height is omitted) with its certificate and signers.
func (a *aspenAPI) GetLightBlock(subnet string, height *hexutil.Uint64) (*LightBlock, error) {
	rt := a.n.runtime(types.SubnetID(subnet))
	if rt == nil {
		return nil, fmt.Errorf("%w: this node does not serve subnet %q", errLight, subnet)
	}
	h := rt.Final()
	if height != nil {
		var err error
		if h, err = rt.HeaderAt(uint64(*height)); err != nil {
			return nil, err
		}
	}
	if h.Height == 0 {
		return nil, fmt.Errorf("%w: block 0 has no certificate: trust the genesis file instead", errLight)
	}
	commit, err := rt.store.Commit(h.Hash())
	if err != nil {
		return nil, fmt.Errorf("%w: commit of block %d of %s: %w", errLight, h.Height, subnet, err)
	}
	prev, err := rt.HeaderAt(h.Height - 1)
	if err != nil {
		return nil, err
	}
	vs, err := rt.validatorsAt(prev)
	if err != nil {
		return nil, err
	}
	out := &LightBlock{}
	if out.Header, err = rlp.EncodeToBytes(h); err != nil {
		return nil, err
	}
	if out.Commit, err = types.EncodeCommit(commit); err != nil {
		return nil, err
	}
	if out.Validators, err = rlp.EncodeToBytes(vs.All()); err != nil {
		return nil, err
	}
	return out, nil
}

// GetRootGenesis is aspen_getRootGenesis: the root chain's genesis file as
// the node started with it, for a client that trusts only its hash
// (config.Genesis.Hash).
func (a *aspenAPI) GetRootGenesis() (hexutil.Bytes, error) {
	for _, rt := range a.n.runtimeList() {
		if rt.parent == nil {
			return rt.gen.Encode()
		}
	}
	return nil, fmt.Errorf("%w: no root chain", errLight)
}

// CheckpointProof is aspen_getCheckpointProof's answer: the checkpoints of
// Subnet its parent committed, newest first (the one the parent's gateway
// names at ParentHeight, then each one its Prev names), and the proof of
// that gateway word: the gateway's account proof against the parent block's
// state root and the storage proof of the slot
// (gateway.LastCheckpointHashSlot).
type CheckpointProof struct {
	Subnet       string          `json:"subnet"`
	ParentHeight hexutil.Uint64  `json:"parentHeight"`
	Checkpoints  []hexutil.Bytes `json:"checkpoints"`
	AccountProof []string        `json:"accountProof"`
	StorageProof []string        `json:"storageProof"`
}

// GetCheckpointProof is aspen_getCheckpointProof: the newest checkpoint of
// child its parent committed as of the parent's final block parentHeight,
// with its proof, and the older ones down to height from (default: only
// the newest; at most MaxLightCheckpoints). This node must run both chains.
func (a *aspenAPI) GetCheckpointProof(child string, parentHeight hexutil.Uint64, from *hexutil.Uint64) (*CheckpointProof, error) {
	id := types.SubnetID(child)
	rt := a.n.runtime(id)
	if rt == nil || rt.parent == nil || rt.period == 0 {
		return nil, fmt.Errorf("%w: this node does not run subnet %q (with its parent)", errLight, child)
	}
	parent := a.n.runtime(rt.parent.ID())
	if parent == nil {
		return nil, fmt.Errorf("%w: this node does not run %s", errLight, rt.parent.ID())
	}
	ph, err := parent.HeaderAt(uint64(parentHeight))
	if err != nil {
		return nil, err
	}
	pgs, err := parent.GatewayAt(ph.Height)
	if err != nil {
		return nil, err
	}
	last, hash, _ := gateway.LastCheckpoint(pgs, parent.id, id)
	if last == 0 {
		return nil, fmt.Errorf("%w: %s committed no checkpoint of %s by height %d", errLight, parent.id, id, ph.Height)
	}
	stop := last
	if from != nil {
		stop = uint64(*from)
		if stop > last || last-stop >= MaxLightCheckpoints*rt.period {
			return nil, fmt.Errorf("%w: checkpoints of %s from %d: the parent's newest at height %d is %d, and one answer walks back at most %d",
				errLight, id, stop, ph.Height, last, MaxLightCheckpoints)
		}
	}
	slot, err := gateway.LastCheckpointHashSlot(parent.id, id)
	if err != nil {
		return nil, err
	}
	p, err := parent.exec.Proof(ph, gateway.Address, []common.Hash{slot})
	if err != nil {
		return nil, err
	}
	out := &CheckpointProof{Subnet: child, ParentHeight: hexutil.Uint64(ph.Height), AccountProof: p.AccountProof, StorageProof: p.StorageProof[0].Proof}
	for h, want := last, hash; ; h -= rt.period {
		b, err := checkpointAt(rt, parent, ph.Height, h)
		if err != nil {
			return nil, err
		}
		if b.Link.Hash != want {
			return nil, fmt.Errorf("%w: rebuilt checkpoint %d of %s hashes to %s, its parent committed %s", errLight, h, id, b.Link.Hash, want)
		}
		out.Checkpoints = append(out.Checkpoints, b.Encoded)
		if h <= stop || h <= rt.period {
			break
		}
		want = b.Checkpoint.Prev
	}
	return out, nil
}

// checkpointAt rebuilds child's checkpoint at height as its validators
// built it. Building needs the checkpoint before it, which the parent's
// gateway named while it was the newest: a binary search over the parent's
// blocks up to below finds the last one where the committed height was
// still lower, and there reads that checkpoint's hash and how many up
// messages the parent had applied.
func checkpointAt(child, parent *runtime, below, height uint64) (*xnet.Built, error) {
	prev := xnet.Link{}
	if height > child.period {
		lo, hi := uint64(0), below // the answer lies in [lo, hi)
		for lo+1 < hi {
			mid := lo + (hi-lo)/2
			gs, err := parent.GatewayAt(mid)
			if err != nil {
				return nil, err
			}
			if h, _, _ := gateway.LastCheckpoint(gs, parent.id, child.id); h < height {
				lo = mid
			} else {
				hi = mid
			}
		}
		gs, err := parent.GatewayAt(lo)
		if err != nil {
			return nil, err
		}
		h, hash, _ := gateway.LastCheckpoint(gs, parent.id, child.id)
		if h != height-child.period {
			return nil, fmt.Errorf("%w: checkpoint %d of %s: the parent's record before it is at %d", errLight, height, child.id, h)
		}
		prev = xnet.Link{Height: h, Hash: hash, UpNonce: gateway.UpApplied(gs, parent.id, child.id)}
	}
	cp, enc, link, err := xnet.Build(childView(&child.chain), xnet.Params{Subnet: child.id, Period: child.period}, height, prev)
	if err != nil {
		return nil, err
	}
	return &xnet.Built{Checkpoint: cp, Encoded: enc, Link: link}, nil
}
