package gateway

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Address is where the gateway lives on every Aspen chain.
var Address = common.HexToAddress("0xa5e0000000000000000000000000000000000001")

var (
	// ErrReverted is returned by Run together with a Solidity Error(string)
	// payload when a call fails; the EVM reverts with that payload.
	ErrReverted = errors.New("gateway: reverted")
	// ErrUnknownSubnet: no child of this chain has that ID.
	ErrUnknownSubnet = errors.New("gateway: no such subnet")
	// ErrNotChild: the ID is malformed or not a direct child of this chain.
	ErrNotChild = errors.New("gateway: not a child of this chain")
	// ErrNotActive: the subnet has not become Active (it has no genesis yet).
	ErrNotActive = errors.New("gateway: subnet is not active")
)

//go:embed IGateway.abi.json
var abiJSON []byte

// Gateway is one chain's gateway.
type Gateway struct {
	subnet   types.SubnetID
	abi      abi.ABI
	evidence EvidenceVerifier
	pow      PowVerifier
	fraud    FraudVerifier
	// keys caches parsed validator keys for checkpoint quorum checks. It is
	// node-local and only saves time: no answer and no price depends on it.
	keys *aspencrypto.KeyCache
}

// keyCacheSize is how many parsed validator keys a gateway keeps: the
// seats of a few full subnets.
const keyCacheSize = 4 * MaxValidators

// Options are what a gateway receives from the chain's wiring.
type Options struct {
	// Evidence checks the child engines' own evidence in submitEvidence;
	// nil refuses it (double-signed checkpoints are still checked).
	Evidence EvidenceVerifier
	// Pow checks PoW children's header segments in submitPowCheckpoint;
	// nil refuses it.
	Pow PowVerifier
	// Fraud re-executes child blocks in proveFraud; nil refuses it.
	Fraud FraudVerifier
}

// New returns the gateway of the chain subnet.
func New(subnet types.SubnetID, opts Options) (*Gateway, error) {
	if _, err := types.ParseSubnetID(string(subnet)); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	parsed, err := ParseABI()
	if err != nil {
		return nil, err
	}
	return &Gateway{subnet: subnet, abi: parsed, evidence: opts.Evidence, pow: opts.Pow, fraud: opts.Fraud, keys: aspencrypto.NewKeyCache(keyCacheSize)}, nil
}

// ParseABI returns the IGateway ABI.
func ParseABI() (abi.ABI, error) {
	parsed, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("gateway: embedded IGateway ABI: %w", err)
	}
	return parsed, nil
}

// ABI is the IGateway ABI, for callers that encode calls or decode events.
func (g *Gateway) ABI() abi.ABI { return g.abi }

// SubnetID is the ID of the chain this gateway runs on.
func (g *Gateway) SubnetID() types.SubnetID { return g.subnet }

// Run executes one call on st. On failure it returns the ABI-encoded
// Error(string) revert payload and an error wrapping ErrReverted; the caller
// must then roll back every change Run made to st (the EVM does).
func (g *Gateway) Run(st State, c Call) ([]byte, error) {
	ret, err := g.run(st, c)
	if err != nil {
		var r *revertError
		if !errors.As(err, &r) {
			// A broken invariant of stored state: still a revert, never a crash.
			r = &revertError{reason: err.Error()}
		}
		return EncodeRevert(r.reason), fmt.Errorf("%w: %s", ErrReverted, r.reason)
	}
	return ret, nil
}

func (g *Gateway) run(st State, c Call) ([]byte, error) {
	m, args, err := g.decode(c.Input)
	if err != nil {
		return nil, err
	}
	md, ok := methods[m.Name]
	if !ok {
		return nil, reverted("gateway: %s is not implemented yet", m.Name)
	}
	if mutates(m) && c.ReadOnly {
		return nil, reverted("gateway: %s changes state and cannot run in a static call (STATICCALL, DELEGATECALL or CALLCODE); call the gateway with CALL", m.Name)
	}
	if !m.IsPayable() && c.value().Sign() != 0 {
		return nil, reverted("gateway: %s is not payable; send it without value", m.Name)
	}
	out, err := md.run(&call{g: g, st: st, c: c}, args)
	if err != nil {
		return nil, err
	}
	ret, err := m.Outputs.Pack(out...)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: encoding the result: %w", m.Name, err)
	}
	return ret, nil
}

// decode finds the function of input and unpacks its arguments.
func (g *Gateway) decode(input []byte) (*abi.Method, []any, error) {
	if len(input) < 4 {
		return nil, nil, reverted("gateway: call data is empty; call a function of IGateway")
	}
	m, err := g.abi.MethodById(input[:4])
	if err != nil {
		return nil, nil, reverted("gateway: unknown function selector %#x", input[:4])
	}
	args, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		return nil, nil, reverted("gateway: %s: malformed arguments: %v", m.Name, err)
	}
	return m, args, nil
}

// convert copies an unpacked ABI tuple into out, a pointer to a struct of
// the same shape (which the ABI's own unpacking guarantees).
func convert(in any, out any) { abi.ConvertType(in, out) }

// emit logs event name of IGateway with the indexed topics (after the
// event's own) and the non-indexed arguments.
func (x *call) emit(name string, indexed []common.Hash, args ...any) {
	ev := x.g.abi.Events[name]
	data, err := ev.Inputs.NonIndexed().Pack(args...)
	if err != nil {
		panic(fmt.Sprintf("gateway: event %s does not pack: %v", name, err))
	}
	x.st.AddLog(append([]common.Hash{ev.ID}, indexed...), data)
}

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }

// revertError is a failure with a reason for the user.
type revertError struct{ reason string }

func (e *revertError) Error() string { return e.reason }
func (e *revertError) Unwrap() error { return ErrReverted }

func reverted(format string, args ...any) error {
	return &revertError{reason: fmt.Sprintf(format, args...)}
}

// errorSelector is the selector of Solidity's Error(string).
var errorSelector = crypto.Keccak256([]byte("Error(string)"))[:4]

// EncodeRevert returns the Solidity Error(string) revert payload for reason.
func EncodeRevert(reason string) []byte {
	str, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: str}}.Pack(reason)
	if err != nil {
		panic("gateway: a string always packs: " + err.Error())
	}
	return append(append([]byte{}, errorSelector...), packed...)
}
