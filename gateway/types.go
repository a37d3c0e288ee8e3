package gateway

import (
	"encoding/binary"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// Engine is a subnet's consensus engine, as IGateway.Engine.
type Engine uint8

const (
	EngineSolo Engine = iota
	EngineBFT
	EnginePoW
)

func (e Engine) String() string {
	switch e {
	case EngineSolo:
		return "solo"
	case EngineBFT:
		return "bft"
	case EnginePoW:
		return "pow"
	}
	return "unknown"
}

// EngineByName is the Engine whose String is name (an engine's name as
// consensus.Kind spells it): the one table between names and the enum.
func EngineByName(name string) (Engine, bool) {
	for e := EngineSolo; e <= EnginePoW; e++ {
		if e.String() == name {
			return e, true
		}
	}
	return 0, false
}

// Status is a subnet's life stage, as IGateway.Status.
type Status uint8

const (
	StatusRegistered Status = iota // created, waiting for validators and collateral
	StatusActive                   // running; configNumber >= 1
	StatusKilled                   // stopped by its creator; collateral returned
)

func (s Status) String() string {
	switch s {
	case StatusRegistered:
		return "registered"
	case StatusActive:
		return "active"
	case StatusKilled:
		return "killed"
	}
	return "unknown"
}

// Params are a subnet's parameters, as IGateway.SubnetParams.
type Params struct {
	Engine           Engine
	MinValidators    uint32
	MinCollateral    *big.Int
	BlockTimeMs      uint32
	CheckpointPeriod uint32
	GasLimit         uint64
	// Confirmations is, for a PoW subnet, how deep its blocks must be to
	// count as final (createPowSubnet; DefaultConfirmations otherwise); 0
	// for other engines. It is not part of IGateway.SubnetParams, whose
	// shape users' code depends on: IGateway.confirmations reads it.
	Confirmations uint32
}

// Validator is one seat of a subnet, as IGateway.Validator.
type Validator struct {
	Owner        common.Address
	BLSPublicKey []byte // 48-byte compressed G1
	P2PAddr      string
	Collateral   *big.Int
}

// Subnet is a child subnet as its parent's gateway records it.
type Subnet struct {
	ID                   types.SubnetID
	Params               Params
	Status               Status
	Creator              common.Address
	ChainID              uint64
	CirculatingSupply    *big.Int
	LastCheckpointHeight uint64
	LastCheckpointHash   common.Hash
	ConfigNumber         uint64
	Validators           []Validator
	TotalCollateral      *big.Int
	CreatedAt            uint64 // parent height of createSubnet
	ActivatedAt          uint64 // parent height of activation; 0 while Registered
	TopDownNonce         uint64 // nonce of the newest queued top-down message; 0 if none
	GenesisNonce         uint64 // top-down messages 1..GenesisNonce are part of the child's genesis
	// StallWindow is how many parent blocks may pass without a committed
	// checkpoint before the subnet is frozen (the escape hatch): the
	// creator's setStallWindow, or DefaultStallWindow.
	StallWindow uint64
}

// MsgKind, CrossMsg and MsgID are the cross-subnet message types of
// CROSSNET.md ("Objects"); they live in types so checkpoints can carry them.
type (
	MsgKind  = types.MsgKind
	CrossMsg = types.CrossMsg
)

const (
	KindTransfer = types.KindTransfer // credit To with Value
	KindCall     = types.KindCall     // call To with Data and Value
	KindRefund   = types.KindRefund   // return Value of the failed message Ref to To
	KindConfig   = types.KindConfig   // validator-set change (top-down only)
)

// MsgID is a message's ID for its whole trip: keccak256(rlp([src, srcNonce])).
func MsgID(src string, srcNonce uint64) common.Hash { return types.MsgID(src, srcNonce) }

// MaxPower is the most voting power one seat has: 2^52 units, a collateral
// of about 4.5 million coins; collateral beyond it adds none. MaxValidators
// seats of MaxPower stay below 2^62 (consensus.MaxTotalPower), so a child's
// validator set never holds a total power that its engine refuses or whose
// quorum arithmetic overflows (issue 19, defect 3). It relies on a subnet
// having at most MaxValidators seats.
const MaxPower = 1 << 52

// PowerOf is a validator's voting power for its collateral: one unit per
// gwei, at least 1, at most MaxPower. Parent (checkpoint quorums) and child
// (its engine's validator set) compute it the same way.
func PowerOf(collateral *big.Int) uint64 {
	if collateral == nil {
		return 1
	}
	p := new(big.Int).Div(collateral, big.NewInt(1e9))
	if !p.IsUint64() || p.Uint64() > MaxPower {
		return MaxPower
	}
	return max(p.Uint64(), 1)
}

// ConfigOp is the kind of a validator-set change.
type ConfigOp uint8

const (
	OpJoin  ConfigOp = iota // Validator joins with Collateral
	OpStake                 // Validator.Owner's collateral is now Validator.Collateral
	OpLeave                 // Validator.Owner leaves the set
)

// ConfigChange takes the child's validator set from config Number-1 to Number.
type ConfigChange struct {
	Number    uint64
	Op        ConfigOp
	Validator Validator
}

// TopDownMsg is one entry of the queue of messages from this chain to a
// child: a cross-message (Kind Transfer, Call, Refund) or a validator-set
// change (Kind Config). Nonces start at 1 and are consecutive per child.
type TopDownMsg struct {
	Nonce  uint64
	Height uint64 // height of the parent block that queued it
	Kind   MsgKind
	Msg    CrossMsg     // unless Kind is KindConfig
	Config ConfigChange // if Kind is KindConfig
}

// Chain IDs of subnets lie in [MinSubnetChainID, MaxSubnetChainID): at least
// 2^32, so they never collide with the small chain IDs roots use (31337,
// 1337, …), and below 2^53, so JavaScript reads them exactly.
const (
	MinSubnetChainID = uint64(1) << 32
	MaxSubnetChainID = uint64(1) << 53
)

// ChainIDFor is the EIP-155 chain ID of a non-root subnet:
// MinSubnetChainID + (first 8 bytes of keccak256("aspen/chainid/v1" ‖ id),
// big-endian) mod (MaxSubnetChainID - MinSubnetChainID). It depends on the ID
// only, so every node derives the same; distinct IDs collide with probability
// about 2^-53 per pair. A killed subnet's name stays taken, so its chain ID
// is never reused for another chain.
func ChainIDFor(id types.SubnetID) uint64 {
	h := crypto.Keccak256([]byte("aspen/chainid/v1"), []byte(id))
	return MinSubnetChainID + binary.BigEndian.Uint64(h[:8])%(MaxSubnetChainID-MinSubnetChainID)
}
