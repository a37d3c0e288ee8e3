package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// ABI shapes of IGateway's structs, for packing with the abi package (field
// names are the Solidity names, capitalised).
type (
	abiParams struct {
		Engine           uint8
		MinValidators    uint32
		MinCollateral    *big.Int
		BlockTimeMs      uint32
		CheckpointPeriod uint32
		GasLimit         uint64
	}
	abiValidator struct {
		Owner        common.Address
		BlsPublicKey []byte
		P2pAddr      string
		Collateral   *big.Int
	}
	abiSubnetInfo struct {
		Id                   string
		Params               abiParams
		Status               uint8
		Creator              common.Address
		ChainId              uint64
		CirculatingSupply    *big.Int
		LastCheckpointHeight uint64
		LastCheckpointHash   [32]byte
		ConfigNumber         uint64
		Validators           []abiValidator
	}
)

func (p abiParams) params() Params {
	return Params{Engine(p.Engine), p.MinValidators, nonNil(p.MinCollateral), p.BlockTimeMs, p.CheckpointPeriod, p.GasLimit}
}

func (x *call) subnet(id string) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	sn, err := ReadSubnet(x.st, x.g.subnet, x.g.subnet.Child(name))
	if err != nil {
		return nil, err
	}
	p := sn.Params
	info := abiSubnetInfo{
		Id:                   string(sn.ID),
		Params:               abiParams{uint8(p.Engine), p.MinValidators, p.MinCollateral, p.BlockTimeMs, p.CheckpointPeriod, p.GasLimit},
		Status:               uint8(sn.Status),
		Creator:              sn.Creator,
		ChainId:              sn.ChainID,
		CirculatingSupply:    sn.CirculatingSupply,
		LastCheckpointHeight: sn.LastCheckpointHeight,
		LastCheckpointHash:   sn.LastCheckpointHash,
		ConfigNumber:         sn.ConfigNumber,
		Validators:           []abiValidator{},
	}
	for _, v := range sn.Validators {
		info.Validators = append(info.Validators, abiValidator{v.Owner, v.BLSPublicKey, v.P2PAddr, v.Collateral})
	}
	return []any{info}, nil
}

func (x *call) children() []any {
	ids := []string{}
	for _, id := range ReadChildren(x.st, x.g.subnet) {
		ids = append(ids, string(id))
	}
	return []any{ids}
}
