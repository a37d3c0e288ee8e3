package registry

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/private"
)

// Address is where the registry lives on every Aspen chain, beside the
// gateway (…0001), the HTLC contract (…0002) and the objects manager (…0003).
var Address = common.HexToAddress("0xa5e0000000000000000000000000000000000004")

// DeadlineBlocks is how many blocks after its own the recipients of an
// envelope have to confirm it.
const DeadlineBlocks = 20

// Reasons a call reverts, for callers that test them (errors.Is on Run's
// error); the revert reason is the full message, which for an envelope wraps
// package private's error (private.ErrTruncated, ErrWrongSubnet, ErrReplay…).
var (
	ErrReverted         = errors.New("registry: reverted")
	ErrNotPrivate       = errors.New("registry: this subnet is public; create it with --privacy private")
	ErrBadKey           = errors.New("registry: bad encryption key")
	ErrKeyTaken         = errors.New("registry: key registered by another account")
	ErrUnknownRecipient = errors.New("registry: envelope addressed to an unregistered key")
	ErrNotOpen          = errors.New("registry: no open round for this envelope")
	ErrNotRecipient     = errors.New("registry: confirmation from a non-recipient")
	ErrAnswered         = errors.New("registry: recipient already answered")
	ErrLate             = errors.New("registry: confirmation after the deadline")
	ErrNotExpired       = errors.New("registry: round's deadline has not passed")
)

//go:embed IPrivate.abi.json
var abiJSON []byte

// StateReader reads the contract account's storage.
type StateReader interface {
	GetState(slot common.Hash) common.Hash
}

// State is what a call may do; execution/evm implements it over the EVM's
// StateDB, so a reverted frame undoes every change.
type State interface {
	StateReader
	SetState(slot, value common.Hash)
	AddLog(topics []common.Hash, data []byte)
	BlockNumber() uint64
}

// Call is one call frame into the contract.
type Call struct {
	Caller   common.Address
	Value    *big.Int // msg.value; nil means 0
	Input    []byte
	ReadOnly bool
}

// Contract is one chain's registry.
type Contract struct {
	ctx     private.Context
	enabled bool
	abi     abi.ABI
}

// New returns the registry of the chain ctx; enabled is whether the chain is
// private (its genesis says so). A public chain's registry reverts every call.
func New(ctx private.Context, enabled bool) (*Contract, error) {
	parsed, err := ParseABI()
	if err != nil {
		return nil, err
	}
	return &Contract{ctx: ctx, enabled: enabled, abi: parsed}, nil
}

// ParseABI returns the IPrivate ABI.
func ParseABI() (abi.ABI, error) {
	parsed, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("registry: embedded IPrivate ABI: %w", err)
	}
	return parsed, nil
}

// ABI is the IPrivate ABI.
func (r *Contract) ABI() abi.ABI { return r.abi }

// Run executes one call on st. On failure it returns the Error(string)
// revert payload and an error wrapping ErrReverted; the caller rolls back.
func (r *Contract) Run(st State, c Call) ([]byte, error) {
	ret, err := r.run(st, c)
	if err != nil {
		return encodeRevert(err.Error()), fmt.Errorf("%w: %w", ErrReverted, err)
	}
	return ret, nil
}

func (r *Contract) run(st State, c Call) ([]byte, error) {
	m, args, err := r.decode(c.Input)
	if err != nil {
		return nil, err
	}
	md, ok := methods[m.Name]
	if !ok {
		return nil, fmt.Errorf("registry: %s is not implemented", m.Name)
	}
	if !r.enabled {
		return nil, fmt.Errorf("%w (%s is public)", ErrNotPrivate, r.ctx.Subnet)
	}
	if !m.IsConstant() && c.ReadOnly {
		return nil, fmt.Errorf("registry: %s changes state and cannot run in a static call; call it with CALL", m.Name)
	}
	if c.Value != nil && c.Value.Sign() != 0 {
		return nil, fmt.Errorf("registry: %s is not payable; send it without value", m.Name)
	}
	out, err := md.run(&call{r: r, st: st, c: c}, args)
	if err != nil {
		return nil, err
	}
	ret, err := m.Outputs.Pack(out...)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: encoding the result: %w", m.Name, err)
	}
	return ret, nil
}

func (r *Contract) decode(input []byte) (*abi.Method, []any, error) {
	if len(input) < 4 {
		return nil, nil, errors.New("registry: call data is empty; call a function of IPrivate")
	}
	m, err := r.abi.MethodById(input[:4])
	if err != nil {
		return nil, nil, fmt.Errorf("registry: unknown function selector %#x", input[:4])
	}
	args, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		return nil, nil, fmt.Errorf("registry: %s: malformed arguments: %v", m.Name, err)
	}
	return m, args, nil
}

// call is one call in progress.
type call struct {
	r  *Contract
	st State
	c  Call
}

func (x *call) emit(name string, indexed []common.Hash, args ...any) {
	ev := x.r.abi.Events[name]
	data, err := ev.Inputs.NonIndexed().Pack(args...)
	if err != nil {
		panic(fmt.Sprintf("registry: event %s does not pack: %v", name, err))
	}
	x.st.AddLog(append([]common.Hash{ev.ID}, indexed...), data)
}

var errorSelector = crypto.Keccak256([]byte("Error(string)"))[:4]

func encodeRevert(reason string) []byte {
	str, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: str}}.Pack(reason)
	if err != nil {
		panic("registry: a string always packs: " + err.Error())
	}
	return append(append([]byte{}, errorSelector...), packed...)
}
