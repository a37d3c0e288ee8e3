package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// topDownRLP is TopDownMsg as stored (every big.Int non-nil).
type topDownRLP struct {
	Nonce  uint64
	Height uint64
	Kind   MsgKind
	Msg    CrossMsg
	Config ConfigChange
}

func encodeTopDown(m TopDownMsg) []byte {
	m.Msg.Value = nonNil(m.Msg.Value)
	m.Config.Validator.Collateral = nonNil(m.Config.Validator.Collateral)
	return mustRLP(topDownRLP(m))
}

// pushTopDown appends m to the queue of child name with the next nonce and
// returns that nonce.
func pushTopDown(st State, name string, m TopDownMsg) uint64 {
	nonce := getU64(st, name, fDownNonce) + 1
	m.Nonce, m.Height = nonce, st.BlockNumber()
	writeBlob(st, downSlot(name, nonce), encodeTopDown(m))
	setU64(st, name, fDownNonce, nonce)
	return nonce
}

// queueConfig records a validator-set change of an Active subnet, already
// made to its seats: the config number goes up by one, the set is stored
// under it and the change is queued for the child. It returns the number.
func queueConfig(st State, name string, op ConfigOp, v Validator) uint64 {
	number := getU64(st, name, fConfigNumber) + 1
	setU64(st, name, fConfigNumber, number)
	writeConfigSet(st, name, number)
	pushTopDown(st, name, TopDownMsg{Kind: KindConfig, Config: ConfigChange{Number: number, Op: op, Validator: v}})
	return number
}

// ReadTopDown returns up to max messages of the queue from the chain self to
// its child id, from nonce fromNonce (>= 1) on, in nonce order. A child at
// genesis applies the queue from Subnet.GenesisNonce+1; afterwards from its
// downApplied+1.
func ReadTopDown(st StateReader, self, id types.SubnetID, fromNonce uint64, max int) ([]TopDownMsg, error) {
	name, err := childName(self, id)
	if err != nil {
		return nil, err
	}
	if !exists(st, name) {
		return nil, fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	fromNonce = max64(fromNonce, 1)
	last := getU64(st, name, fDownNonce)
	var out []TopDownMsg
	for n := fromNonce; n <= last && len(out) < max; n++ {
		var r topDownRLP
		if err := rlp.DecodeBytes(readBlob(st, downSlot(name, n)), &r); err != nil {
			return nil, fmt.Errorf("gateway: stored top-down message %d of %s: %w", n, id, err)
		}
		out = append(out, TopDownMsg(r))
	}
	return out, nil
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// ChildGenesis is everything the parent's state says about a child's genesis;
// with it every node derives the same genesis block for the child.
type ChildGenesis struct {
	ID          types.SubnetID
	ChainID     uint64
	Params      Params
	Creator     common.Address
	ActivatedAt uint64      // parent height at which the subnet became Active
	Validators  []Validator // config 1, in join order
	// Funds are the messages sent with fund before activation (top-down
	// nonces 1..len(Funds)): the child's genesis credits them.
	Funds []CrossMsg
	// Supply is the sum of the Funds' values: the child's whole native supply at genesis.
	Supply *big.Int
	// FirstTopDownNonce is the first nonce of the parent's queue the child
	// applies after genesis (GenesisNonce + 1).
	FirstTopDownNonce uint64
	// StallWindow is Subnet.StallWindow: fixed at activation, it bounds how
	// long the child's nodes may let it rest between checkpoints.
	StallWindow uint64
	// Privacy is the mode its creator set before activation (privacy.go).
	Privacy Privacy
}

// ReadChildGenesis returns the genesis inputs of the child id of the chain
// self; it fails with ErrNotActive while the child is still Registered. Any
// state at or after the activation block gives the same answer.
func ReadChildGenesis(st StateReader, self, id types.SubnetID) (*ChildGenesis, error) {
	sn, err := ReadSubnet(st, self, id)
	if err != nil {
		return nil, err
	}
	if sn.ActivatedAt == 0 {
		return nil, fmt.Errorf("%w: %s is %s", ErrNotActive, id, sn.Status)
	}
	var vals []validatorRLP
	if err := rlp.DecodeBytes(readBlob(st, genesisSlot(id.Name())), &vals); err != nil {
		return nil, fmt.Errorf("gateway: stored genesis validators of %s: %w", id, err)
	}
	g := &ChildGenesis{
		ID: id, ChainID: sn.ChainID, Params: sn.Params, Creator: sn.Creator, ActivatedAt: sn.ActivatedAt,
		Supply: new(big.Int), FirstTopDownNonce: sn.GenesisNonce + 1, StallWindow: sn.StallWindow,
		Privacy: ReadPrivacy(st, id.Name()),
	}
	for _, v := range vals {
		g.Validators = append(g.Validators, Validator(v))
	}
	if sn.GenesisNonce > 0 {
		msgs, err := ReadTopDown(st, self, id, 1, int(sn.GenesisNonce))
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			g.Funds = append(g.Funds, m.Msg)
			g.Supply.Add(g.Supply, m.Msg.Value)
		}
	}
	return g, nil
}

// writeGenesis snapshots config 1 of child name at activation.
func writeGenesis(st State, name string, vals []Validator) {
	rs := make([]validatorRLP, len(vals))
	for i, v := range vals {
		rs[i] = validatorRLP{v.Owner, v.BLSPublicKey, v.P2PAddr, nonNil(v.Collateral)}
	}
	writeBlob(st, genesisSlot(name), mustRLP(rs))
}
