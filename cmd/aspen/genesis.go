package main

import (
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"

	"github.com/aspen-chain/aspen/config"
)

// coins converts whole coins to wei.
func coins(n int64) *math.HexOrDecimal256 {
	v := new(big.Int).Mul(big.NewInt(n), new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil))
	return (*math.HexOrDecimal256)(v)
}

// soloGenesis is a root chain sequenced by seq, funding every address in fund
// with fundCoins coins.
func soloGenesis(o initOptions, seq nodeKeys, fund []common.Address) (*config.Genesis, error) {
	return makeGenesis(o, config.DefaultGenesisEngine, []nodeKeys{seq}, fund)
}

// makeGenesis is a root chain run by validators with engine, funding every
// address in fund with fundCoins coins.
func makeGenesis(o initOptions, engine string, validators []nodeKeys, fund []common.Address) (*config.Genesis, error) {
	if o.Network == "" {
		o.Network = "devnet"
	}
	vals := make([]config.GenesisValidator, len(validators))
	for i, v := range validators {
		bls, err := hexutil.Decode(v.BLSPublicKey)
		if err != nil {
			return nil, fmt.Errorf("validator key of %s: %w", v.Account, err)
		}
		vals[i] = config.GenesisValidator{Address: v.Account, BLSPublicKey: bls, Power: 1}
	}
	g := &config.Genesis{
		SubnetID:    "/" + o.Network,
		ChainID:     o.ChainID,
		GasLimit:    o.GasLimit,
		TimestampMs: uint64(time.Now().UnixMilli()),
		Engine:      engine,
		BlockTimeMs: uint64(o.BlockTime.Milliseconds()),
		Validators:  vals,
		Alloc:       map[common.Address]config.GenesisAccount{},
	}
	for _, a := range fund {
		g.Alloc[a] = config.GenesisAccount{Balance: coins(fundCoins)}
	}
	g.SetDefaults()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

func writeGenesis(path string, g *config.Genesis) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeJSONFile(path, g)
}
