package node

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// sendSystemTx signs a call from this node's account to `to` on rt's chain
// and submits it as a wallet would: into rt's pool and out on its gossip.
// The node uses it to submit checkpoints to a parent, paying the gas.
func (rt *runtime) sendSystemTx(key sequencerKey, to common.Address, data []byte, gas uint64) (*gethtypes.Transaction, error) {
	tip := big.NewInt(1e9)
	feeCap := new(big.Int).Add(new(big.Int).Mul(rt.exec.NextBaseFee(), big.NewInt(2)), tip)
	tx, err := gethtypes.SignNewTx(key.key, rt.signer, &gethtypes.DynamicFeeTx{
		ChainID: rt.gen.ChainIDBig(), Nonce: rt.pool.Nonce(key.address), GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: &to, Data: data,
	})
	if err != nil {
		return nil, fmt.Errorf("sign system tx: %w", err)
	}
	if err := rt.pool.Add(tx); err != nil {
		return nil, fmt.Errorf("submit system tx to %s: %w", rt.id, err)
	}
	rt.publishTx(tx)
	return tx, nil
}
