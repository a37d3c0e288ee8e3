package objects

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/optimistic"
	"github.com/aspen-chain/aspen/types"
)

// Address is where the contract lives on every Aspen chain, after the
// gateway's 0xa5e0…0001 and the HTLC contract's 0xa5e0…0002.
var Address = common.HexToAddress("0xa5e0000000000000000000000000000000000003")

// Deadline is the number of blocks after which a claim still undecided is
// false (optimistic.Config). Nothing makes claims yet (receipts are not
// wired); when they are, it must exceed the slowest source's checkpoint
// latency plus its stall window (docs/CROSSNET.md).
const Deadline = 14_400

// ErrReverted is returned by Run together with a Solidity Error(string)
// payload when a call fails; the EVM reverts with that payload.
var ErrReverted = errors.New("objects: reverted")

//go:embed IObjects.abi.json
var abiJSON []byte

// Manager is one chain's objects manager.
type Manager struct {
	cfg optimistic.Config
	abi abi.ABI
}

// New returns the manager of the chain with that subnet ID.
func New(chain types.SubnetID) (*Manager, error) {
	if _, err := types.ParseSubnetID(string(chain)); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	parsed, err := ParseABI()
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: optimistic.Config{Subnet: chain, Deadline: Deadline}, abi: parsed}, nil
}

// ParseABI returns the IObjects ABI.
func ParseABI() (abi.ABI, error) {
	parsed, err := abi.JSON(bytes.NewReader(abiJSON))
	if err != nil {
		return abi.ABI{}, fmt.Errorf("objects: embedded IObjects ABI: %w", err)
	}
	return parsed, nil
}

// ABI is the IObjects ABI.
func (m *Manager) ABI() abi.ABI { return m.abi }

// Store is the optimistic store over st, read-only: for the node's RPC.
func (m *Manager) Store(st StateReader) *optimistic.Store {
	return optimistic.New(readOnly{st}, m.cfg)
}

// Run executes one call on st. On failure it returns the ABI-encoded
// Error(string) revert payload and an error wrapping ErrReverted; the caller
// must then roll back every change Run made to st (the EVM does).
func (m *Manager) Run(st State, c Call) ([]byte, error) {
	ret, err := m.run(st, c)
	if err != nil {
		return EncodeRevert(err.Error()), fmt.Errorf("%w: %w", ErrReverted, err)
	}
	return ret, nil
}

func (m *Manager) run(st State, c Call) ([]byte, error) {
	meth, args, err := m.decode(c.Input)
	if err != nil {
		return nil, err
	}
	md, ok := methods[meth.Name]
	if !ok {
		return nil, fmt.Errorf("objects: %s is not implemented", meth.Name)
	}
	if !meth.IsConstant() && c.ReadOnly {
		return nil, fmt.Errorf("objects: %s changes state and cannot run in a static call (STATICCALL, DELEGATECALL or CALLCODE); call the contract with CALL", meth.Name)
	}
	if !meth.IsPayable() && c.value().Sign() != 0 {
		return nil, fmt.Errorf("objects: %s is not payable; send it without value", meth.Name)
	}
	x := &call{m: m, st: st, c: c}
	if meth.IsConstant() {
		x.store = m.Store(st)
	} else {
		x.store = optimistic.New(st, m.cfg)
	}
	out, err := md.run(x, args)
	if err != nil {
		return nil, err
	}
	ret, err := meth.Outputs.Pack(out...)
	if err != nil {
		return nil, fmt.Errorf("objects: %s: encoding the result: %w", meth.Name, err)
	}
	return ret, nil
}

// decode finds the function of input and unpacks its arguments.
func (m *Manager) decode(input []byte) (*abi.Method, []any, error) {
	if len(input) < 4 {
		return nil, nil, errors.New("objects: call data is empty; call a function of IObjects (deposit to pay in)")
	}
	meth, err := m.abi.MethodById(input[:4])
	if err != nil {
		return nil, nil, fmt.Errorf("objects: unknown function selector %#x", input[:4])
	}
	args, err := meth.Inputs.Unpack(input[4:])
	if err != nil {
		return nil, nil, fmt.Errorf("objects: %s: malformed arguments: %v", meth.Name, err)
	}
	return meth, args, nil
}

// Process is the manager's system work in the block being executed on st:
// optimistic.Store.Process with at most budget steps, its events emitted as
// logs. It returns the steps used.
func (m *Manager) Process(st State, budget int) int {
	evs, used := optimistic.New(st, m.cfg).Process(st.BlockNumber(), budget)
	emit(m.abi, st, evs)
	return used
}

// errorSelector is the selector of Solidity's Error(string).
var errorSelector = crypto.Keccak256([]byte("Error(string)"))[:4]

// EncodeRevert returns the Solidity Error(string) revert payload for reason.
func EncodeRevert(reason string) []byte {
	str, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: str}}.Pack(reason)
	if err != nil {
		panic("objects: a string always packs: " + err.Error())
	}
	return append(append([]byte{}, errorSelector...), packed...)
}
