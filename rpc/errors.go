package rpc

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ErrNotFound may be wrapped by a Backend to say a block, header or receipt
// does not exist; (nil, nil) means the same.
var ErrNotFound = errors.New("rpc: not found")

// ErrUnknownSubnet is returned by RemoveSubnet for a subnet not served.
var ErrUnknownSubnet = errors.New("rpc: unknown subnet")

// ErrSubnetExists is returned by AddSubnet for a subnet already served.
var ErrSubnetExists = errors.New("rpc: subnet already served")

// JSON-RPC error codes used here beside geth's own.
const (
	codeInvalidRequest  = -32600
	codeMethodNotFound  = -32601
	codeInvalidParams   = -32602
	codeServerError     = -32000
	codeResourceMissing = -32001
	codeLimitExceeded   = -32005
	codeRevert          = 3
)

// apiError is an error with a JSON-RPC code, which geth's server reports as is.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string  { return e.msg }
func (e *apiError) ErrorCode() int { return e.code }

func invalidParams(format string, args ...any) error {
	return &apiError{codeInvalidParams, fmt.Sprintf(format, args...)}
}

func notSupported(msg string) error { return &apiError{codeMethodNotFound, msg} }

// errHeaderNotFound is geth's answer to a state read at a block it lacks.
var errHeaderNotFound = errors.New("header not found")

// revertError is geth's eth_call revert: code 3, "execution reverted: reason",
// and the raw revert data as hex.
type revertError struct {
	msg  string
	data string
}

func (e *revertError) Error() string          { return e.msg }
func (e *revertError) ErrorCode() int         { return codeRevert }
func (e *revertError) ErrorData() interface{} { return e.data }

func newRevertError(data []byte) *revertError {
	msg := "execution reverted"
	if reason, ok := unpackRevert(data); ok {
		msg += ": " + reason
	}
	return &revertError{msg: msg, data: hexutil.Encode(data)}
}

var (
	revertSelector = []byte{0x08, 0xc3, 0x79, 0xa0} // Error(string)
	panicSelector  = []byte{0x4e, 0x48, 0x7b, 0x71} // Panic(uint256)
	panicReasons   = map[uint64]string{
		0x00: "generic panic",
		0x01: "assert(false)",
		0x11: "arithmetic underflow or overflow",
		0x12: "division or modulo by zero",
		0x21: "enum overflow",
		0x22: "invalid encoded storage byte array accessed",
		0x31: "out-of-bounds array access; popping on an empty array",
		0x32: "out-of-bounds access of an array or bytesN",
		0x41: "out of memory",
		0x51: "uninitialized function",
	}
)

// unpackRevert decodes Solidity's Error(string) and Panic(uint256) revert data
// the way go-ethereum's abi.UnpackRevert does.
func unpackRevert(data []byte) (string, bool) {
	if len(data) < 4 {
		return "", false
	}
	body := data[4:]
	switch {
	case bytes.Equal(data[:4], revertSelector):
		if len(body) < 64 {
			return "", false
		}
		off := new(big.Int).SetBytes(body[:32])
		if !off.IsUint64() || off.Uint64()+32 > uint64(len(body)) {
			return "", false
		}
		o := off.Uint64()
		n := new(big.Int).SetBytes(body[o : o+32])
		if !n.IsUint64() || o+32+n.Uint64() > uint64(len(body)) {
			return "", false
		}
		return string(body[o+32 : o+32+n.Uint64()]), true
	case bytes.Equal(data[:4], panicSelector):
		if len(body) < 32 {
			return "", false
		}
		code := new(big.Int).SetBytes(body[:32])
		if code.IsUint64() {
			if reason, ok := panicReasons[code.Uint64()]; ok {
				return reason, true
			}
		}
		return fmt.Sprintf("unknown panic code: %#x", code), true
	}
	return "", false
}
