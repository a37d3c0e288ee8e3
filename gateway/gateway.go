package gateway

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

// Address is where the gateway lives on every Aspen chain.
var Address = common.HexToAddress("0xa5e0000000000000000000000000000000000001")

// ErrReverted is returned by Run together with a Solidity Error(string)
// payload when a call fails; the EVM reverts with that payload.
var ErrReverted = errors.New("gateway: reverted")

//go:embed IGateway.abi.json
var abiJSON []byte

// Gas costs: a view that returns a short string costs about what reading it
// from storage would in Solidity.
const (
	baseGas    = 2600
	perWordGas = 3
)

// Gateway is one chain's gateway.
type Gateway struct {
	subnet types.SubnetID
	abi    abi.ABI
}

// New returns the gateway of the chain subnet.
func New(subnet types.SubnetID) (*Gateway, error) {
	if _, err := types.ParseSubnetID(string(subnet)); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	parsed, err := ParseABI()
	if err != nil {
		return nil, err
	}
	return &Gateway{subnet: subnet, abi: parsed}, nil
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

// RequiredGas is the gas a call with input costs before it runs.
func (g *Gateway) RequiredGas(input []byte) uint64 {
	return baseGas + perWordGas*uint64((len(input)+31)/32)
}

// Run executes one call. On failure it returns the ABI-encoded Error(string)
// revert payload and an error wrapping ErrReverted.
func (g *Gateway) Run(input []byte) ([]byte, error) {
	if len(input) < 4 {
		return revert("gateway: call data is empty; call a function of IGateway")
	}
	m, err := g.abi.MethodById(input[:4])
	if err != nil {
		return revert(fmt.Sprintf("gateway: unknown function selector %#x", input[:4]))
	}
	args, err := m.Inputs.Unpack(input[4:])
	if err != nil {
		return revert(fmt.Sprintf("gateway: %s: malformed arguments: %v", m.Name, err))
	}
	var out []any
	switch m.Name {
	case "subnetId":
		out = []any{string(g.subnet)}
	case "parentId":
		out = []any{string(g.subnet.Parent())}
	default:
		_ = args
		return revert(fmt.Sprintf("gateway: %s is not implemented yet", m.Name))
	}
	ret, err := m.Outputs.Pack(out...)
	if err != nil {
		return revert(fmt.Sprintf("gateway: %s: encoding the result: %v", m.Name, err))
	}
	return ret, nil
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

func revert(reason string) ([]byte, error) {
	return EncodeRevert(reason), fmt.Errorf("%w: %s", ErrReverted, reason)
}
