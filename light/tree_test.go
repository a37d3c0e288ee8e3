package light

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

// chainTree is a full proof at some depth, built with the real signing and
// trie code: a root block certified by four BLS keys, whose state commits
// (in its gateway) a checkpoint of /test/s1, whose state commits one of
// /test/s1/s2, and so on down to the subnet at depth that holds user. Each
// state has other accounts and gateway slots, so proofs have branches.
type chainTree struct {
	keys    []*crypto.BLSSecretKey
	block   *rawLightBlock
	ids     []types.SubnetID      // below the root, top down
	cps     []*rawCheckpointProof // cps[i]: ids[i]'s checkpoint in its parent's state
	account *rawAccountProof      // user in the deepest state
}

func newChainTree(t testing.TB, depth int) *chainTree {
	t.Helper()
	ids := []types.SubnetID{rootID}
	for i := 1; i <= depth; i++ {
		ids = append(ids, types.SubnetID(fmt.Sprintf("%s/s%d", ids[i-1], i)))
	}
	tr := &chainTree{keys: testkeys.BLSKeys(4), ids: ids[1:], cps: make([]*rawCheckpointProof, depth)}
	state := func(level int, slots map[common.Hash]common.Hash) *stateTrie {
		s := newStateTrie()
		for j := range 64 {
			s.set(common.BigToAddress(big.NewInt(int64(1000*level+j+1))), big.NewInt(int64(j)), nil)
		}
		for j := range 32 {
			slots[common.BigToHash(big.NewInt(int64(j+1)))] = common.Hash{byte(j + 1)}
		}
		s.set(gateway.Address, new(big.Int), slots)
		return s
	}
	below := state(depth, map[common.Hash]common.Hash{})
	below.set(user, userBalance, nil)
	tr.account = below.prove(user, nil)
	for level := depth; level >= 1; level-- {
		cp := &types.Checkpoint{Subnet: string(ids[level]), Height: uint64(10 * level), BlockHash: common.Hash{byte(level)},
			StateRoot: below.accounts.Hash(), Prev: common.Hash{0xfe}, Config: 1, AppliedConfig: 1}
		enc, err := types.EncodeCheckpoint(cp)
		if err != nil {
			t.Fatal(err)
		}
		slot, err := gateway.LastCheckpointHashSlot(ids[level-1], ids[level])
		if err != nil {
			t.Fatal(err)
		}
		parent := state(level-1, map[common.Hash]common.Hash{slot: cp.Hash()})
		p := parent.prove(gateway.Address, []common.Hash{slot})
		parentHeight := uint64(10 * (level - 1))
		if level == 1 {
			parentHeight = headAt
		}
		tr.cps[level-1] = &rawCheckpointProof{Subnet: string(ids[level]), ParentHeight: hexutil.Uint64(parentHeight),
			Checkpoints: []hexutil.Bytes{enc}, AccountProof: p.AccountProof, StorageProof: p.StorageProof[0].Proof}
		below = parent
	}
	h := &types.Header{SubnetID: rootID, Height: headAt, ParentHash: common.Hash{1}, TimeMs: 1000 * headAt, StateRoot: below.accounts.Hash(), BaseFee: big.NewInt(1)}
	tr.block = &rawLightBlock{}
	tr.block.Header, _ = rlp.EncodeToBytes(h)
	tr.block.Commit, _ = types.EncodeCommit(certify(h, tr.keys))
	tr.block.Validators, _ = rlp.EncodeToBytes(validators(tr.keys))
	return tr
}

// size is the proof's bytes as Sizes counts them.
func (tr *chainTree) size() Sizes {
	s := Sizes{Headers: tr.block.size(), State: tr.account.size()}
	for _, p := range tr.cps {
		s.Checkpoints += p.size()
	}
	return s
}

// verify is the client's work for the proof, without the network: the
// root block against the trusted set, each checkpoint against the state
// above it, the account against the deepest state.
func (tr *chainTree) verify(kind consensus.Kind, trusted []types.Validator) (*Proven, error) {
	h, err := decodeLightBlock(tr.block, kind, rootID, headAt)
	if err != nil {
		return nil, err
	}
	if err := verifyAgainst(h, trusted); err != nil {
		return nil, err
	}
	a := &Anchor{Subnet: rootID, Height: h.Height, StateRoot: h.StateRoot}
	for i, id := range tr.ids {
		cps, _, err := verifyCheckpoints(a, id, tr.cps[i], 0)
		if err != nil {
			return nil, err
		}
		a = &Anchor{Subnet: id, Height: cps[0].Height, StateRoot: cps[0].StateRoot}
	}
	return verifyAccount(a, user, nil, tr.account)
}

// TestChainTree: the depth-3 proof proves user's balance; with the middle
// level's checkpoint naming another state root it does not.
func TestChainTree(t *testing.T) {
	kind, err := consensus.LookupKind("bft")
	if err != nil {
		t.Fatal(err)
	}
	tr := newChainTree(t, 3)
	p, err := tr.verify(kind, validators(tr.keys))
	if err != nil || p.Account.Balance.Cmp(userBalance) != 0 || p.Anchor.Subnet != "/test/s1/s2/s3" {
		t.Fatalf("proved %+v (%v)", p, err)
	}
	t.Logf("depth-3 proof: %+v = %d bytes", tr.size(), tr.size().Total())
	cp, err := types.DecodeCheckpoint(tr.cps[1].Checkpoints[0])
	if err != nil {
		t.Fatal(err)
	}
	cp.StateRoot = common.Hash{0xba, 0xd}
	if tr.cps[1].Checkpoints[0], err = types.EncodeCheckpoint(cp); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.verify(kind, validators(tr.keys)); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("a forged checkpoint of the middle level: %v", err)
	}
}
