package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// ErrInvalidGenesis wraps every reason LoadGenesis or Validate rejects a genesis.
var ErrInvalidGenesis = errors.New("config: invalid genesis")

// Genesis defaults, applied by ParseGenesis to fields left out.
const (
	DefaultGenesisBaseFee     = params.GWei // 1 gwei
	DefaultGenesisGasLimit    = 30_000_000
	DefaultGenesisBlockTimeMs = 1000
	DefaultGenesisEngine      = "solo"
)

// MaxConfirmations bounds how deep a probabilistic-finality chain makes
// its users wait (and how many blocks its engine keeps above final).
const MaxConfirmations = 1000

// MaxChainID is the first chain ID that is not safe as a JavaScript number.
const MaxChainID = 1 << 53

// BLSPublicKeyLen is the length of a compressed BLS12-381 G1 public key.
const BLSPublicKeyLen = 48

// Genesis describes block 0 of a root subnet: who validates it, its fee
// parameters and the accounts it starts with. It is read from JSON.
type Genesis struct {
	SubnetID    string                            `json:"subnetId"`
	ChainID     uint64                            `json:"chainId"`
	GasLimit    uint64                            `json:"gasLimit"`
	BaseFee     *math.HexOrDecimal256             `json:"baseFee"` // wei, decimal or 0x hex
	TimestampMs uint64                            `json:"timestampMs"`
	Engine      string                            `json:"engine"`
	BlockTimeMs uint64                            `json:"blockTimeMs"`
	Validators  []GenesisValidator                `json:"validators"`
	Alloc       map[common.Address]GenesisAccount `json:"alloc"`
	// TopDownNonce is, for a subnet, the last parent message its alloc
	// already holds (funds sent before activation); 0 for a root.
	TopDownNonce uint64 `json:"topDownNonce,omitempty"`
	// Confirmations is, for an engine with probabilistic finality (pow),
	// how deep a block must be to count as final; 0: the engine's default.
	// "safe" is half as deep. Engines with instant finality ignore it.
	Confirmations uint64 `json:"confirmations,omitempty"`
	// Difficulty is a proof-of-work chain's difficulty at genesis (expected
	// hashes per block) and the floor retargeting never goes below; 0: the
	// engine's default.
	Difficulty uint64 `json:"difficulty,omitempty"`
	// BlockReward (wei) is minted to the proposer (miner) of every block
	// after genesis, on top of the priority fees it earns anyway; 0 or
	// absent: none. It is for roots only: a subnet's native value must come
	// from its parent, or the parent's firewall and the two chains' books
	// would disagree.
	BlockReward *math.HexOrDecimal256 `json:"blockReward,omitempty"`
	// Privacy is "private" for a private subnet (docs/PRIVACY.md): its
	// private registry takes participants' keys and encrypted envelopes.
	// Absent: public.
	Privacy string `json:"privacy,omitempty"`
}

// PrivacyPrivate is Genesis.Privacy of a private subnet.
const PrivacyPrivate = "private"

// GenesisValidator is one validator of the genesis validator set.
type GenesisValidator struct {
	Address      common.Address `json:"address"`
	BLSPublicKey hexutil.Bytes  `json:"blsPublicKey"`    // may be empty for solo
	Power        uint64         `json:"power,omitempty"` // voting power; 0 means 1
}

// VotingPower is the validator's power, 1 when unset.
func (v GenesisValidator) VotingPower() uint64 { return max(v.Power, 1) }

// GenesisAccount is one prefunded account, as in go-ethereum's genesis alloc.
type GenesisAccount struct {
	Balance *math.HexOrDecimal256       `json:"balance"` // wei, decimal or 0x hex
	Nonce   math.HexOrDecimal64         `json:"nonce,omitempty"`
	Code    hexutil.Bytes               `json:"code,omitempty"`
	Storage map[common.Hash]common.Hash `json:"storage,omitempty"`
}

// LoadGenesis reads, defaults and validates a genesis JSON file.
func LoadGenesis(path string) (*Genesis, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	g, err := ParseGenesis(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// ParseGenesis decodes genesis JSON (rejecting unknown fields, which are
// usually typos), fills defaults and validates the result.
func ParseGenesis(data []byte) (*Genesis, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	g := new(Genesis)
	if err := dec.Decode(g); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidGenesis, err)
	}
	g.SetDefaults()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// SetDefaults fills fields left at zero: base fee 1 gwei, gas limit 30M,
// 1000 ms blocks, the solo engine.
func (g *Genesis) SetDefaults() {
	if g.BaseFee == nil {
		g.BaseFee = (*math.HexOrDecimal256)(big.NewInt(DefaultGenesisBaseFee))
	}
	if g.GasLimit == 0 {
		g.GasLimit = DefaultGenesisGasLimit
	}
	if g.BlockTimeMs == 0 {
		g.BlockTimeMs = DefaultGenesisBlockTimeMs
	}
	if g.Engine == "" {
		g.Engine = DefaultGenesisEngine
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidGenesis}, args...)...)
}

// Validate checks the genesis; its errors say which field is wrong and how to fix it.
func (g *Genesis) Validate() error {
	if _, err := types.ParseSubnetID(g.SubnetID); err != nil {
		return invalid("subnetId: %v", err)
	}
	if g.ChainID == 0 || g.ChainID >= MaxChainID {
		return invalid("chainId %d must be between 1 and 2^53-1 (9007199254740991) so JavaScript clients read it exactly", g.ChainID)
	}
	if g.GasLimit < params.MinGasLimit || g.GasLimit > params.MaxGasLimit {
		return invalid("gasLimit %d must be between %d and %d", g.GasLimit, params.MinGasLimit, uint64(params.MaxGasLimit))
	}
	if g.BaseFee == nil || (*big.Int)(g.BaseFee).Sign() < 0 || (*big.Int)(g.BaseFee).BitLen() > 256 {
		return invalid("baseFee must be a non-negative amount of wei, e.g. \"1000000000\" for 1 gwei")
	}
	if g.BlockTimeMs == 0 {
		return invalid("blockTimeMs must be positive, e.g. 1000")
	}
	if g.Privacy != "" && g.Privacy != PrivacyPrivate {
		return invalid("privacy %q: leave it out (public) or use %q", g.Privacy, PrivacyPrivate)
	}
	if r := g.BlockReward; r != nil && ((*big.Int)(r).Sign() < 0 || (*big.Int)(r).BitLen() > 128) {
		return invalid("blockReward must be a non-negative amount of wei below 2^128")
	}
	if g.BlockReward != nil && (*big.Int)(g.BlockReward).Sign() > 0 && !g.ID().IsRoot() {
		return invalid("blockReward is for roots only: a subnet's value comes from its parent (its miners earn priority fees)")
	}
	if g.Confirmations > MaxConfirmations {
		return invalid("confirmations %d is above %d", g.Confirmations, MaxConfirmations)
	}
	if err := g.validateValidators(); err != nil {
		return err
	}
	for addr, acc := range g.Alloc {
		if acc.Balance != nil && ((*big.Int)(acc.Balance).Sign() < 0 || (*big.Int)(acc.Balance).BitLen() > 256) {
			return invalid("alloc %s: balance must be a non-negative amount of wei below 2^256", addr)
		}
		if len(acc.Code) > params.MaxCodeSize {
			return invalid("alloc %s: code is %d bytes, more than the %d a contract may have", addr, len(acc.Code), params.MaxCodeSize)
		}
	}
	return nil
}

func (g *Genesis) validateValidators() error {
	kind, err := consensus.LookupKind(g.Engine)
	if err != nil {
		return invalid("engine: %v", err)
	}
	switch {
	case kind.SingleSequencer && len(g.Validators) != 1:
		return invalid("engine %s needs exactly one validator (the sequencer), got %d", g.Engine, len(g.Validators))
	case len(g.Validators) == 0:
		return invalid("engine %s needs at least one validator", g.Engine)
	}
	var total uint64
	seen := make(map[common.Address]bool)
	for i, v := range g.Validators {
		if v.Address == (common.Address{}) {
			return invalid("validators[%d]: address is missing or zero", i)
		}
		if seen[v.Address] {
			return invalid("validators[%d]: address %s appears twice", i, v.Address)
		}
		seen[v.Address] = true
		if len(v.BLSPublicKey) != 0 && len(v.BLSPublicKey) != BLSPublicKeyLen {
			return invalid("validators[%d]: blsPublicKey is %d bytes, want %d (compressed BLS12-381 G1)", i, len(v.BLSPublicKey), BLSPublicKeyLen)
		}
		if kind.ValidatorKeys && len(v.BLSPublicKey) == 0 {
			return invalid("validators[%d]: engine %s needs a blsPublicKey for every validator", i, g.Engine)
		}
		// Capped so that quorum arithmetic never overflows (issue 19).
		if v.VotingPower() > consensus.MaxTotalPower-total {
			return invalid("validators[%d]: power %d takes the total above %d (2^62); use smaller powers", i, v.VotingPower(), uint64(consensus.MaxTotalPower))
		}
		total += v.VotingPower()
	}
	return nil
}

// ID is the subnet ID (valid after Validate).
func (g *Genesis) ID() types.SubnetID { return types.SubnetID(g.SubnetID) }

// ChainIDBig is the chain ID as a big.Int.
func (g *Genesis) ChainIDBig() *big.Int { return new(big.Int).SetUint64(g.ChainID) }

// BlockRewardWei is the reward minted per block (a copy; zero when unset).
func (g *Genesis) BlockRewardWei() *big.Int {
	if g.BlockReward == nil {
		return new(big.Int)
	}
	return new(big.Int).Set((*big.Int)(g.BlockReward))
}

// BaseFeeWei is the base fee of block 0 (a copy).
func (g *Genesis) BaseFeeWei() *big.Int {
	if g.BaseFee == nil {
		return big.NewInt(DefaultGenesisBaseFee)
	}
	return new(big.Int).Set((*big.Int)(g.BaseFee))
}

// SortedAlloc returns the alloc's addresses in ascending order, so callers
// build state in a deterministic order.
func (g *Genesis) SortedAlloc() []common.Address {
	addrs := make([]common.Address, 0, len(g.Alloc))
	for a := range g.Alloc {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return bytes.Compare(addrs[i][:], addrs[j][:]) < 0 })
	return addrs
}

// Encode is the canonical encoding: JSON with map keys sorted and every
// amount in hex, so equal genesis values always encode to the same bytes.
func (g *Genesis) Encode() ([]byte, error) { return json.Marshal(g) }

// Hash is keccak256 of Encode: two nodes with the same genesis hash start the same chain.
func (g *Genesis) Hash() (common.Hash, error) {
	enc, err := g.Encode()
	if err != nil {
		return common.Hash{}, err
	}
	return crypto.Keccak256Hash(enc), nil
}
