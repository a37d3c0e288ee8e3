package gateway

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Bounds on subnet parameters and validator records.
const (
	MaxValidators  = 500 // seats of a subnet (and so minValidators) at most this: see join
	MinBlockTimeMs = 10  // a block every 10 ms at most
	// DefaultConfirmations is how deep a PoW subnet's blocks must be to be
	// final when createSubnet made it; createPowSubnet chooses.
	DefaultConfirmations = 6
	MaxConfirmations     = 1000
	MaxBlockTimeMs       = 3_600_000     // and at least one an hour
	MaxCheckpointPeriod  = 1_000_000     // blocks between checkpoints
	MinSubnetGasLimit    = 1_000_000     // enough for a few contract calls
	MaxSubnetGasLimit    = 1_000_000_000 // a block must stay executable
	MaxP2PAddrLen        = 256
)

// call is one call being executed.
type call struct {
	g  *Gateway
	st State
	c  Call
}

// resolve checks id names an existing direct child of this chain and
// returns its name.
func (x *call) resolve(id string) (string, error) {
	self := x.g.subnet
	if !strings.HasPrefix(id, "/") {
		return "", reverted("gateway: %q is not a subnet ID; use the full path, e.g. %s", id, self.Child("games"))
	}
	sid, err := types.ParseSubnetID(id)
	if err != nil {
		return "", reverted("gateway: %v", err)
	}
	if sid.IsRoot() || sid.Parent() != self {
		return "", reverted("gateway: %s is not a child of %s; send this call to the gateway of %s", id, self, parentOrRoot(sid))
	}
	if !exists(x.st, sid.Name()) {
		return "", reverted("gateway: %s does not exist; children() lists the subnets of %s", id, self)
	}
	return sid.Name(), nil
}

func parentOrRoot(id types.SubnetID) types.SubnetID {
	if id.IsRoot() {
		return id
	}
	return id.Parent()
}

func (x *call) id(name string) string { return string(x.g.subnet.Child(name)) }

func (x *call) noValue(fn string) error {
	if x.c.value().Sign() != 0 {
		return reverted("gateway: %s is not payable; send it without value", fn)
	}
	return nil
}

// createSubnet registers a child. name is either a bare name or a full ID
// whose parent is this chain.
func (x *call) createSubnet(name string, p Params) ([]any, error) {
	if err := x.noValue("createSubnet"); err != nil {
		return nil, err
	}
	self := x.g.subnet
	if strings.HasPrefix(name, "/") {
		id, err := types.ParseSubnetID(name)
		if err != nil {
			return nil, reverted("gateway: %v", err)
		}
		if id.IsRoot() || id.Parent() != self {
			return nil, reverted("gateway: cannot create %s here: its parent %s is not this chain (%s); send createSubnet to the gateway of %s", id, parentOrRoot(id), self, parentOrRoot(id))
		}
		name = id.Name()
	}
	if err := types.ValidateName(name); err != nil {
		return nil, reverted("gateway: %v", err)
	}
	if exists(x.st, name) {
		return nil, reverted("gateway: %s already exists (status %s); choose another name", self.Child(name), statusOf(x.st, name))
	}
	if err := checkParams(p); err != nil {
		return nil, err
	}
	setStatus(x.st, name, StatusRegistered)
	x.st.SetState(fieldSlot(name, fCreator), common.BytesToHash(x.c.Caller.Bytes()))
	setU64(x.st, name, fEngine, uint64(p.Engine))
	setU64(x.st, name, fMinValidators, uint64(p.MinValidators))
	setBig(x.st, name, fMinCollateral, p.MinCollateral)
	setU64(x.st, name, fBlockTimeMs, uint64(p.BlockTimeMs))
	setU64(x.st, name, fCheckpointPeriod, uint64(p.CheckpointPeriod))
	setU64(x.st, name, fGasLimit, p.GasLimit)
	setU64(x.st, name, fConfirmations, uint64(p.Confirmations))
	setU64(x.st, name, fCreatedAt, x.st.BlockNumber())
	appendChild(x.st, name)
	id := x.id(name)
	x.emit("SubnetCreated", []common.Hash{addrTopic(x.c.Caller)}, id, uint8(p.Engine))
	return []any{id}, nil
}

func checkParams(p Params) error {
	switch {
	case p.Engine > EnginePoW:
		return reverted("gateway: unknown engine %d; use Solo (0), BFT (1) or PoW (2)", p.Engine)
	case p.Engine == EnginePoW && (p.Confirmations < 1 || p.Confirmations > MaxConfirmations):
		return reverted("gateway: confirmations %d must be between 1 and %d blocks", p.Confirmations, MaxConfirmations)
	case p.Engine != EnginePoW && p.Confirmations != 0:
		return reverted("gateway: confirmations are for PoW subnets; %s blocks are final at once", p.Engine)
	case p.MinValidators < 1 || p.MinValidators > MaxValidators:
		return reverted("gateway: minValidators %d must be between 1 and %d", p.MinValidators, MaxValidators)
	case p.Engine == EngineSolo && p.MinValidators != 1:
		return reverted("gateway: a Solo subnet has exactly one sequencer; set minValidators to 1 (got %d) or use BFT", p.MinValidators)
	case p.BlockTimeMs < MinBlockTimeMs || p.BlockTimeMs > MaxBlockTimeMs:
		return reverted("gateway: blockTimeMs %d must be between %d and %d", p.BlockTimeMs, MinBlockTimeMs, MaxBlockTimeMs)
	case p.CheckpointPeriod < 1 || p.CheckpointPeriod > MaxCheckpointPeriod:
		return reverted("gateway: checkpointPeriod %d must be between 1 and %d blocks", p.CheckpointPeriod, MaxCheckpointPeriod)
	case p.GasLimit < MinSubnetGasLimit || p.GasLimit > MaxSubnetGasLimit:
		return reverted("gateway: gasLimit %d must be between %d and %d", p.GasLimit, MinSubnetGasLimit, MaxSubnetGasLimit)
	}
	return nil
}

// join gives the caller a seat in id with msg.value as collateral.
func (x *call) join(id string, key, pop []byte, p2pAddr string) error {
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	value := x.c.value()
	switch st := statusOf(x.st, name); {
	case st == StatusKilled:
		return reverted("gateway: %s was killed; it takes no validators", id)
	case value.Sign() == 0:
		return reverted("gateway: join %s needs collateral: send a value greater than 0", id)
	case len(key) != crypto.BLSPublicKeySize:
		return reverted("gateway: BLS public key must be %d bytes (compressed G1), got %d", crypto.BLSPublicKeySize, len(key))
	case p2pAddr == "" || len(p2pAddr) > MaxP2PAddrLen || !strings.HasPrefix(p2pAddr, "/") || !strings.Contains(p2pAddr, "/p2p/"):
		return reverted("gateway: p2pAddr %q must be a libp2p multiaddr of at most %d bytes ending in /p2p/<peer id>", p2pAddr, MaxP2PAddrLen)
	}
	if err := x.refuseFrozen(name, "takes no validators"); err != nil {
		return err
	}
	if _, err := crypto.ParseBLSPublicKey(key); err != nil {
		return reverted("gateway: BLS public key %s is not a valid G1 point: %v", hexutil.Encode(key), err)
	}
	if !crypto.VerifyProofOfPossession(key, pop) {
		return reverted("gateway: the proof of possession does not verify for BLS key %s; sign the key with its own secret key", hexutil.Encode(key))
	}
	if used := x.st.GetState(blsKeySlot(name, key)); used != (common.Hash{}) {
		return reverted("gateway: BLS key %s already holds a seat in %s; every validator of a subnet needs its own key", hexutil.Encode(key), x.id(wordName(used)))
	}
	if _, ok := ownerIndex(x.st, name, x.c.Caller); ok {
		return reverted("gateway: %s is already a validator of %s; use stake to add collateral", x.c.Caller, id)
	}
	params := readParams(x.st, name)
	n := validatorCount(x.st, name)
	if params.Engine == EngineSolo && n >= 1 {
		return reverted("gateway: %s is a Solo subnet and already has its sequencer", id)
	}
	if n >= MaxValidators {
		return reverted("gateway: %s has %d validators, the most a subnet takes; wait for a seat to leave", id, n)
	}
	if least := seatMinimum(params); value.Cmp(least) < 0 {
		return reverted("gateway: join %s needs at least %s wei of collateral (minCollateral %s over minValidators %d), got %s; send more", id, least, params.MinCollateral, params.MinValidators, value)
	}
	v := Validator{Owner: x.c.Caller, BLSPublicKey: key, P2PAddr: p2pAddr, Collateral: new(big.Int).Set(value)}
	if err := writeValidator(x.st, name, n, v); err != nil {
		return err
	}
	setU64(x.st, name, fValidatorCount, n+1)
	x.addCollateral(name, value)
	x.emit("ValidatorJoined", []common.Hash{addrTopic(x.c.Caller)}, id, value)
	if statusOf(x.st, name) == StatusActive {
		queueConfig(x.st, name, OpJoin, v)
		return nil
	}
	return x.maybeActivate(name)
}

// seatMinimum is the least collateral a seat brings: its share of the
// collateral the subnet needs to start, minCollateral / minValidators
// rounded up (at least 1 wei). Without it, seats of one wei each could be
// joined by the thousand; with MaxValidators they could still fill the
// seats, but each costs what a founding validator brought.
func seatMinimum(p Params) *big.Int {
	n := big.NewInt(int64(max(p.MinValidators, 1)))
	least := new(big.Int).Add(nonNil(p.MinCollateral), new(big.Int).Sub(n, big.NewInt(1)))
	least.Div(least, n)
	if least.Sign() == 0 {
		least.SetInt64(1)
	}
	return least
}

func (x *call) addCollateral(name string, value *big.Int) {
	setBig(x.st, name, fTotalCollateral, new(big.Int).Add(getBig(x.st, name, fTotalCollateral), value))
}

// maybeActivate makes a Registered subnet Active once it has enough
// validators and collateral: config 1 is its genesis validator set, and the
// top-down messages queued so far become part of its genesis.
func (x *call) maybeActivate(name string) error {
	params := readParams(x.st, name)
	if validatorCount(x.st, name) < uint64(params.MinValidators) || getBig(x.st, name, fTotalCollateral).Cmp(params.MinCollateral) < 0 {
		return nil
	}
	vals, err := readValidators(x.st, name)
	if err != nil {
		return err
	}
	setStatus(x.st, name, StatusActive)
	setU64(x.st, name, fConfigNumber, 1)
	setU64(x.st, name, fActivatedAt, x.st.BlockNumber())
	setU64(x.st, name, fGenesisNonce, getU64(x.st, name, fDownNonce))
	writeGenesis(x.st, name, vals)
	writeConfigSet(x.st, name, 1)
	x.emit("SubnetActivated", nil, x.id(name), uint64(1))
	return nil
}

// stake adds msg.value to the caller's collateral in id.
func (x *call) stake(id string) error {
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	value := x.c.value()
	if statusOf(x.st, name) == StatusKilled {
		return reverted("gateway: %s was killed; its collateral was returned", id)
	}
	if value.Sign() == 0 {
		return reverted("gateway: stake on %s needs a value greater than 0", id)
	}
	if err := x.refuseFrozen(name, "takes no stake"); err != nil {
		return err
	}
	i, ok := ownerIndex(x.st, name, x.c.Caller)
	if !ok {
		return reverted("gateway: %s is not a validator of %s; use join first", x.c.Caller, id)
	}
	v, err := readValidator(x.st, name, i)
	if err != nil {
		return err
	}
	v.Collateral = new(big.Int).Add(v.Collateral, value)
	if err := writeValidator(x.st, name, i, v); err != nil {
		return err
	}
	x.addCollateral(name, value)
	if statusOf(x.st, name) == StatusActive {
		queueConfig(x.st, name, OpStake, v)
		return nil
	}
	return x.maybeActivate(name)
}

// leave removes the caller from id. The collateral of a Registered or
// frozen subnet's validator is returned at once; an Active subnet's leaver is out of the set
// at once (a new config), but its collateral becomes a pending release, paid
// when a committed checkpoint shows the child applied that config
// (release.go).
func (x *call) leave(id string) error {
	if err := x.noValue("leave"); err != nil {
		return err
	}
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	status := statusOf(x.st, name)
	if status == StatusKilled {
		return reverted("gateway: %s was killed; its collateral was already returned", id)
	}
	i, ok := ownerIndex(x.st, name, x.c.Caller)
	if !ok {
		return reverted("gateway: %s is not a validator of %s; nothing to leave", x.c.Caller, id)
	}
	if err := x.refuseUnslashed(name, "its validators can leave"); err != nil {
		return err
	}
	// An Active child's leaver waits for a checkpoint showing the new set
	// applied; a frozen one's never will, so its collateral comes back at once.
	waits := status == StatusActive && frozen(x.st, name) == ""
	n, minVals := validatorCount(x.st, name), readParams(x.st, name).MinValidators
	if waits && n-1 < uint64(minVals) {
		return reverted("gateway: leaving would drop %s to %d validators, below its minValidators %d; another validator must join first", id, n-1, minVals)
	}
	v, err := readValidator(x.st, name, i)
	if err != nil {
		return err
	}
	if err := removeValidator(x.st, name, i); err != nil {
		return err
	}
	setBig(x.st, name, fTotalCollateral, new(big.Int).Sub(getBig(x.st, name, fTotalCollateral), v.Collateral))
	if waits {
		number := queueConfig(x.st, name, OpLeave, Validator{Owner: v.Owner, BLSPublicKey: v.BLSPublicKey, Collateral: new(big.Int)})
		queueRelease(x.st, name, PendingRelease{Owner: v.Owner, Amount: v.Collateral, Config: number})
		return nil
	}
	if err := x.st.Transfer(Address, v.Owner, v.Collateral); err != nil {
		return fmt.Errorf("gateway: returning collateral of %s: %w", v.Owner, err)
	}
	x.emit("ValidatorLeft", []common.Hash{addrTopic(v.Owner)}, id, v.Collateral)
	return nil
}

// kill stops id for good: the creator's right. Every validator gets its
// collateral back, and so does every leaver still waiting for a checkpoint.
//
// The circulating supply need not be zero: part of it is the child's burned
// base fees, which no checkpoint can ever release, so requiring zero locked
// the last seats' collateral for good once the child had any traffic
// (issue 19). What is left stays recorded as the killed child's circulating
// supply, in the gateway's balance: value still held inside the child is
// for the escape hatch to pay out against the last checkpoint's state root;
// the burned fees' share is never claimed.
func (x *call) kill(id string) error {
	if err := x.noValue("kill"); err != nil {
		return err
	}
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	creator := common.BytesToAddress(x.st.GetState(fieldSlot(name, fCreator)).Bytes())
	switch {
	case statusOf(x.st, name) == StatusKilled:
		return reverted("gateway: %s is already killed", id)
	case x.c.Caller != creator:
		return reverted("gateway: only the creator of %s can kill it (%s, not %s)", id, creator, x.c.Caller)
	}
	if delivering(x.st) {
		return reverted("gateway: kill cannot run inside a cross-message call; kill %s in a transaction of its own", id)
	}
	if err := x.refuseUnslashed(name, "it can be killed"); err != nil {
		return err
	}
	if err := x.payReleases(name, 0, true); err != nil {
		return err
	}
	for n := validatorCount(x.st, name); n > 0; n-- {
		v, err := readValidator(x.st, name, n-1)
		if err != nil {
			return err
		}
		if err := removeSeat(x.st, name, n-1, v); err != nil {
			return err
		}
		if err := x.st.Transfer(Address, v.Owner, v.Collateral); err != nil {
			return fmt.Errorf("gateway: returning collateral of %s: %w", v.Owner, err)
		}
	}
	writeAggKey(x.st, name, 0, nil)
	setBig(x.st, name, fTotalCollateral, new(big.Int))
	setStatus(x.st, name, StatusKilled)
	x.emit("SubnetKilled", nil, id)
	return nil
}
