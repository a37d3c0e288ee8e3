package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// fund sends msg.value to `to` on the child id: the value stays in the
// gateway's balance, the child's circulating supply grows by it, and a
// transfer is queued for the child. Funds sent before the child is Active
// become part of its genesis.
func (x *call) fund(id string, to common.Address) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	value := x.c.value()
	switch {
	case statusOf(x.st, name) == StatusKilled:
		return nil, reverted("gateway: %s was killed; it cannot receive funds", id)
	case value.Sign() == 0:
		return nil, reverted("gateway: fund %s needs a value greater than 0", id)
	case to == (common.Address{}):
		return nil, reverted("gateway: fund %s to the zero address would lose the value; give a recipient", id)
	case to == Address:
		return nil, reverted("gateway: fund %s: the gateway cannot receive cross-messages; give another recipient", id)
	}
	if err := x.refuseFrozen(name, "cannot receive funds"); err != nil {
		return nil, err
	}
	msg := CrossMsg{
		SrcSubnet: string(x.g.subnet), From: x.c.Caller, DstSubnet: id, To: to,
		Value: new(big.Int).Set(value), Kind: KindTransfer,
	}
	x.stamp(&msg)
	x.pushDown(name, msg)
	x.emitSent(msg)
	return []any{msg.ID}, nil
}
