package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// ABI shapes of IGateway's structs, for packing and unpacking with the abi package (field
// names are the Solidity names, capitalised).
type (
	ABIParams struct {
		Engine           uint8
		MinValidators    uint32
		MinCollateral    *big.Int
		BlockTimeMs      uint32
		CheckpointPeriod uint32
		GasLimit         uint64
	}
	ABIValidator struct {
		Owner        common.Address
		BlsPublicKey []byte
		P2pAddr      string
		Collateral   *big.Int
	}
	ABISubnetInfo struct {
		Id                   string
		Params               ABIParams
		Status               uint8
		Creator              common.Address
		ChainId              uint64
		CirculatingSupply    *big.Int
		LastCheckpointHeight uint64
		LastCheckpointHash   [32]byte
		ConfigNumber         uint64
		Validators           []ABIValidator
	}
)

func (p ABIParams) params() Params {
	return Params{Engine: Engine(p.Engine), MinValidators: p.MinValidators, MinCollateral: nonNil(p.MinCollateral),
		BlockTimeMs: p.BlockTimeMs, CheckpointPeriod: p.CheckpointPeriod, GasLimit: p.GasLimit}
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
	info := ABISubnetInfo{
		Id:                   string(sn.ID),
		Params:               ABIParams{uint8(p.Engine), p.MinValidators, p.MinCollateral, p.BlockTimeMs, p.CheckpointPeriod, p.GasLimit},
		Status:               uint8(sn.Status),
		Creator:              sn.Creator,
		ChainId:              sn.ChainID,
		CirculatingSupply:    sn.CirculatingSupply,
		LastCheckpointHeight: sn.LastCheckpointHeight,
		LastCheckpointHash:   sn.LastCheckpointHash,
		ConfigNumber:         sn.ConfigNumber,
		Validators:           []ABIValidator{},
	}
	for _, v := range sn.Validators {
		info.Validators = append(info.Validators, ABIValidator{v.Owner, v.BLSPublicKey, v.P2PAddr, v.Collateral})
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
