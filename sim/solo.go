package sim

import (
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/solo"
)

// Solo adapts the solo engine (run it with one node): a sequencer that
// seals a block every few ticks and needs no votes.
func Solo() EngineFactory {
	return EngineFactory{
		Name: solo.Kind.Name,
		New: func(cfg NodeConfig) (consensus.Engine, error) {
			key, err := gethcrypto.ToECDSA(gethcrypto.Keccak256(cfg.Key.Bytes()))
			if err != nil {
				return nil, err
			}
			// The sequencer signs with a key derived from its BLS key; the
			// simulator checks no seal, so it passes as the set's one address.
			return solo.Kind.New(consensus.Config{
				Subnet: cfg.Subnet, Validators: cfg.Validators, Signer: soloSigner{key}, Account: cfg.Validators.At(0).Address,
				Height: cfg.Height, Head: cfg.Head, Timing: consensus.Timing{BlockTime: 2, IdleInterval: 5},
			})
		},
	}
}

type soloSigner struct{ key *ecdsa.PrivateKey }

func (s soloSigner) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], s.key) }
