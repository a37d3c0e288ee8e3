package node

import (
	"context"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// gatewayCaller sends a call to a chain's gateway from this node's account,
// as a transaction paying its own gas: how the node submits checkpoints and
// evidence to a parent.
type gatewayCaller interface {
	// CallGateway estimates the call on the chain's pending state (an error
	// if it would revert), then signs and submits it with a margin of gas.
	CallGateway(ctx context.Context, data []byte) (tx common.Hash, gas uint64, err error)
}

var _ gatewayCaller = (*systemTxs)(nil)

// systemPool is the part of a chain's pool system transactions use.
type systemPool interface {
	Nonce(addr common.Address) uint64
	Add(tx *gethtypes.Transaction) error
}

// systemFees is the part of a chain's executor system transactions use.
type systemFees interface {
	NextBaseFee() *big.Int
	EstimateGas(ctx context.Context, h *types.Header, args execution.CallArgs, ov map[common.Address]execution.Override) (uint64, error)
}

// systemTxs is the one owner of the node account's nonces on one chain:
// every system transaction the node sends to that chain (a relay's
// checkpoints, evidence reports, whatever comes next) goes through it.
// Reading the pool's next nonce and adding the transaction happen under
// one lock, so two senders never take the same nonce; the pool then
// answers the next reader with the nonce after.
type systemTxs struct {
	key     sequencerKey
	signer  gethtypes.Signer
	chainID *big.Int
	pool    systemPool
	fees    systemFees
	publish func(*gethtypes.Transaction) // out on the chain's gossip
	mu      sync.Mutex                   // held from reading a nonce until its tx is in the pool
}

func newSystemTxs(key sequencerKey, signer gethtypes.Signer, chainID *big.Int, pool systemPool, fees systemFees, publish func(*gethtypes.Transaction)) *systemTxs {
	return &systemTxs{key: key, signer: signer, chainID: chainID, pool: pool, fees: fees, publish: publish}
}

func (s *systemTxs) CallGateway(ctx context.Context, data []byte) (common.Hash, uint64, error) {
	return s.CallGatewayRoom(ctx, data, 0)
}

// CallGatewayRoom is CallGateway with room gas more than the estimate and
// its margin: for a call whose work depends on what lands before it (an
// attestation that completes a jury's majority pays the release).
func (s *systemTxs) CallGatewayRoom(ctx context.Context, data []byte, room uint64) (common.Hash, uint64, error) {
	to := gateway.Address
	gas, err := s.fees.EstimateGas(ctx, nil, execution.CallArgs{From: s.key.address, To: &to, Data: data}, nil)
	if err != nil {
		return common.Hash{}, 0, err
	}
	tx, err := s.send(to, data, gas+gas/5+room)
	if err != nil {
		return common.Hash{}, 0, err
	}
	return tx.Hash(), gas, nil
}

// send signs a call from the node's account to `to` and submits it as a
// wallet would: into the pool and out on gossip.
func (s *systemTxs) send(to common.Address, data []byte, gas uint64) (*gethtypes.Transaction, error) {
	tip := big.NewInt(1e9)
	feeCap := new(big.Int).Add(new(big.Int).Mul(s.fees.NextBaseFee(), big.NewInt(2)), tip)
	s.mu.Lock()
	tx, err := gethtypes.SignNewTx(s.key.key, s.signer, &gethtypes.DynamicFeeTx{
		ChainID: s.chainID, Nonce: s.pool.Nonce(s.key.address), GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: &to, Data: data,
	})
	if err == nil {
		err = s.pool.Add(tx)
		if err != nil {
			err = fmt.Errorf("submit system tx to chain %v: %w", s.chainID, err)
		}
	} else {
		err = fmt.Errorf("sign system tx: %w", err)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.publish(tx)
	return tx, nil
}
