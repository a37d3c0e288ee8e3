package htlc

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// Address is where the contract lives on every Aspen chain, next to the
// gateway's 0xa5e0…0001.
var Address = common.HexToAddress("0xa5e0000000000000000000000000000000000002")

// MaxLockDuration bounds how far ahead a timeout may be, in seconds (30
// days): further is almost always a timeout given in milliseconds, which
// would lock the value for ages.
const MaxLockDuration = 30 * 24 * 3600

// ErrReverted is returned by Run together with a Solidity Error(string)
// payload when a call fails; the EVM reverts with that payload.
var ErrReverted = errors.New("htlc: reverted")

//go:embed IHTLC.abi.json
var abiJSON []byte

// Contract is one chain's HTLC contract.
type Contract struct {
	chain types.SubnetID
	abi   abi.ABI
}

// New returns the contract of the chain with that subnet ID.
func New(chain types.SubnetID) (*Contract, error) {
	if _, err := types.ParseSubnetID(string(chain)); err != nil {
		return nil, fmt.Errorf("htlc: %w", err)
	}
	parsed, err := ParseABI()
	if err != nil {
		return nil, err
	}
	return &Contract{chain: chain, abi: parsed}, nil
}

// ParseABI returns the IHTLC ABI.
func ParseABI() (abi.ABI, error) {
	parsed, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("htlc: embedded IHTLC ABI: %w", err)
	}
	return parsed, nil
}

// ABI is the IHTLC ABI.
func (h *Contract) ABI() abi.ABI { return h.abi }

// Run executes one call on st. On failure it returns the ABI-encoded
// Error(string) revert payload and an error wrapping ErrReverted; the caller
// must then roll back every change Run made to st (the EVM does).
func (h *Contract) Run(st State, c Call) ([]byte, error) {
	ret, err := h.run(st, c)
	if err != nil {
		return EncodeRevert(err.Error()), fmt.Errorf("%w: %w", ErrReverted, err)
	}
	return ret, nil
}

func (h *Contract) run(st State, c Call) ([]byte, error) {
	m, args, err := h.decode(c.Input)
	if err != nil {
		return nil, err
	}
	md, ok := methods[m.Name]
	if !ok {
		return nil, fmt.Errorf("htlc: %s is not implemented", m.Name)
	}
	if !m.IsConstant() && c.ReadOnly {
		return nil, fmt.Errorf("htlc: %s changes state and cannot run in a static call (STATICCALL, DELEGATECALL or CALLCODE); call the contract with CALL", m.Name)
	}
	if !m.IsPayable() && c.value().Sign() != 0 {
		return nil, fmt.Errorf("htlc: %s is not payable; send it without value", m.Name)
	}
	out, err := md.run(&call{h: h, st: st, c: c}, args)
	if err != nil {
		return nil, err
	}
	ret, err := m.Outputs.Pack(out...)
	if err != nil {
		return nil, fmt.Errorf("htlc: %s: encoding the result: %w", m.Name, err)
	}
	return ret, nil
}

// decode finds the function of input and unpacks its arguments.
func (h *Contract) decode(input []byte) (*abi.Method, []any, error) {
	if len(input) < 4 {
		return nil, nil, errors.New("htlc: call data is empty; call a function of IHTLC")
	}
	m, err := h.abi.MethodById(input[:4])
	if err != nil {
		return nil, nil, fmt.Errorf("htlc: unknown function selector %#x", input[:4])
	}
	args, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		return nil, nil, fmt.Errorf("htlc: %s: malformed arguments: %v", m.Name, err)
	}
	return m, args, nil
}

// call is one call in progress.
type call struct {
	h  *Contract
	st State
	c  Call
}

// emit logs event name with the indexed topics (after the event's own) and
// the non-indexed arguments.
func (x *call) emit(name string, indexed []common.Hash, args ...any) {
	ev := x.h.abi.Events[name]
	data, err := ev.Inputs.NonIndexed().Pack(args...)
	if err != nil {
		panic(fmt.Sprintf("htlc: event %s does not pack: %v", name, err))
	}
	x.st.AddLog(append([]common.Hash{ev.ID}, indexed...), data)
}

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }

// errorSelector is the selector of Solidity's Error(string).
var errorSelector = crypto.Keccak256([]byte("Error(string)"))[:4]

// EncodeRevert returns the Solidity Error(string) revert payload for reason.
func EncodeRevert(reason string) []byte {
	str, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: str}}.Pack(reason)
	if err != nil {
		panic("htlc: a string always packs: " + err.Error())
	}
	return append(append([]byte{}, errorSelector...), packed...)
}
