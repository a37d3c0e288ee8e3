package htlc

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Reasons a call reverts, for callers that test them (errors.Is on Run's
// error); the revert reason is the full message.
var (
	ErrBadLock       = errors.New("htlc: bad lock")
	ErrUnknownSwap   = errors.New("htlc: no such swap")
	ErrSettled       = errors.New("htlc: swap already settled")
	ErrWrongPreimage = errors.New("htlc: wrong preimage")
	ErrExpired       = errors.New("htlc: swap timed out")
	ErrNotExpired    = errors.New("htlc: swap has not timed out")
	ErrToken         = errors.New("htlc: token call failed")
)

// method is one IHTLC function: what it does and what it costs beyond the
// base price of every call. Whether it may change state is the ABI's
// stateMutability.
type method struct {
	run func(x *call, args []any) ([]any, error)
	gas func(st StateReader, args []any) uint64
}

// methods is the one table of IHTLC functions (TestMethodTableMatchesABI
// holds it and the ABI together).
var methods = map[string]method{
	"lock": {
		run: func(x *call, args []any) ([]any, error) {
			return x.lock(common.Address{}, x.c.value(), args[0].([32]byte), args[1].(common.Address), args[2].(uint64))
		},
		gas: func(StateReader, []any) uint64 { return lockGas(false) },
	},
	"lockToken": {
		run: func(x *call, args []any) ([]any, error) {
			return x.lock(args[0].(common.Address), args[1].(*big.Int), args[2].([32]byte), args[3].(common.Address), args[4].(uint64))
		},
		gas: func(StateReader, []any) uint64 { return lockGas(true) },
	},
	"claim": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.claim(args[0].([32]byte), args[1].([32]byte))
		},
		gas: func(st StateReader, args []any) uint64 { return settleGas(st, args[0].([32]byte), true) },
	},
	"refund": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.refund(args[0].([32]byte)) },
		gas: func(st StateReader, args []any) uint64 { return settleGas(st, args[0].([32]byte), false) },
	},
	"swap": {
		run: func(x *call, args []any) ([]any, error) {
			s := ReadSwap(x.st, args[0].([32]byte))
			return []any{s.Sender, s.Recipient, s.Token, s.Amount, [32]byte(s.Hashlock), s.Timeout, uint8(s.Status), [32]byte(s.Preimage)}, nil
		},
		gas: func(StateReader, []any) uint64 { return gasRead * 6 },
	},
}

// lock records a new swap of amount (of token, or native coin when token is
// zero) and, for a token, pulls it from the caller.
func (x *call) lock(token common.Address, amount *big.Int, hashlock [32]byte, recipient common.Address, timeout uint64) ([]any, error) {
	now := x.st.BlockTime()
	switch {
	case amount.Sign() <= 0 && token == (common.Address{}):
		return nil, fmt.Errorf("%w: lock needs value; send the coins to lock with the call", ErrBadLock)
	case amount.Sign() <= 0:
		return nil, fmt.Errorf("%w: amount must be positive", ErrBadLock)
	case recipient == (common.Address{}):
		return nil, fmt.Errorf("%w: recipient is the zero address; name the account that may claim", ErrBadLock)
	case hashlock == [32]byte{}:
		return nil, fmt.Errorf("%w: hashlock is zero; give sha256 of a secret 32-byte preimage", ErrBadLock)
	case timeout <= now:
		return nil, fmt.Errorf("%w: timeout %d is not after the block's time %d; give a future unix time in seconds", ErrBadLock, timeout, now)
	case timeout-now > MaxLockDuration:
		return nil, fmt.Errorf("%w: timeout %d is %s ahead, over the %s limit; give a unix time in seconds, not milliseconds",
			ErrBadLock, timeout, time.Duration(timeout-now)*time.Second, time.Duration(MaxLockDuration)*time.Second)
	}
	if token != (common.Address{}) && x.st.CodeSize(token) == 0 {
		return nil, fmt.Errorf("%w: token %s has no code; give an ERC-20 contract's address", ErrBadLock, token)
	}
	n := readCounter(x.st)
	id := SwapID(string(x.h.chain), n)
	s := Swap{Sender: x.c.Caller, Recipient: recipient, Token: token, Amount: amount, Hashlock: hashlock, Timeout: timeout, Status: StatusLocked}
	// Effects before interactions: a token calling back in sees this swap
	// and the next counter.
	writeCounter(x.st, n+1)
	writeSwap(x.st, id, s)
	if token != (common.Address{}) {
		if err := x.pullToken(token, amount); err != nil {
			return nil, err
		}
	}
	x.emit("Locked", []common.Hash{id, addrTopic(s.Sender), addrTopic(recipient)}, token, amount, hashlock, timeout)
	return []any{[32]byte(id)}, nil
}

// claim pays swap id to its recipient against the preimage of its hashlock.
func (x *call) claim(id, preimage [32]byte) error {
	s, err := x.open(id)
	if err != nil {
		return err
	}
	if now := x.st.BlockTime(); now >= s.Timeout {
		return fmt.Errorf("%w: swap %#x timed out at %d (block time %d); only refund is possible now", ErrExpired, id, s.Timeout, now)
	}
	if sha256.Sum256(preimage[:]) != s.Hashlock {
		return fmt.Errorf("%w: sha256(%#x) is not the swap's hashlock %s", ErrWrongPreimage, preimage, s.Hashlock)
	}
	s.Status = StatusClaimed
	writeHeader(x.st, id, s)
	writePreimage(x.st, id, preimage)
	if err := x.pay(s, s.Recipient); err != nil {
		return err
	}
	x.emit("Claimed", []common.Hash{id, addrTopic(s.Recipient)}, preimage)
	return nil
}

// refund pays swap id back to its sender once it timed out.
func (x *call) refund(id [32]byte) error {
	s, err := x.open(id)
	if err != nil {
		return err
	}
	if now := x.st.BlockTime(); now < s.Timeout {
		return fmt.Errorf("%w: swap %#x times out at %d, %ds after this block's time %d; refund then", ErrNotExpired, id, s.Timeout, s.Timeout-now, now)
	}
	s.Status = StatusRefunded
	writeHeader(x.st, id, s)
	if err := x.pay(s, s.Sender); err != nil {
		return err
	}
	x.emit("Refunded", []common.Hash{id, addrTopic(s.Sender)})
	return nil
}

// open reads swap id and refuses one that is unknown or settled.
func (x *call) open(id [32]byte) (Swap, error) {
	s := ReadSwap(x.st, id)
	switch s.Status {
	case StatusNone:
		return s, fmt.Errorf("%w: %#x is not a swap on this chain", ErrUnknownSwap, id)
	case StatusLocked:
		return s, nil
	}
	return s, fmt.Errorf("%w: swap %#x was %s already", ErrSettled, id, s.Status)
}

// pay sends the swap's value to `to`.
func (x *call) pay(s Swap, to common.Address) error {
	if s.Token == (common.Address{}) {
		if err := x.st.Transfer(Address, to, s.Amount); err != nil {
			return fmt.Errorf("htlc: paying %s wei to %s: %w (the contract's balance no longer covers its swaps)", s.Amount, to, err)
		}
		return nil
	}
	ret, err := x.st.CallContract(s.Token, tokenCall(selTransfer, to.Bytes(), s.Amount), gasTokenCall, false)
	if err != nil {
		return fmt.Errorf("%w: %s.transfer(%s, %s): %v", ErrToken, s.Token, to, s.Amount, err)
	}
	if !tokenSaidYes(ret) {
		return fmt.Errorf("%w: %s.transfer(%s, %s) returned false", ErrToken, s.Token, to, s.Amount)
	}
	return nil
}

// pullToken takes amount of token from the caller and checks that exactly
// that much arrived.
func (x *call) pullToken(token common.Address, amount *big.Int) error {
	before, err := x.tokenBalance(token)
	if err != nil {
		return err
	}
	ret, err := x.st.CallContract(token, tokenCall(selTransferFrom, x.c.Caller.Bytes(), Address.Bytes(), amount), gasTokenCall, false)
	if err != nil {
		return fmt.Errorf("%w: %s.transferFrom(%s, %s, %s): %v; approve the HTLC contract %s for the amount first", ErrToken, token, x.c.Caller, Address, amount, err, Address)
	}
	if !tokenSaidYes(ret) {
		return fmt.Errorf("%w: %s.transferFrom returned false; approve the HTLC contract %s for the amount first", ErrToken, token, Address)
	}
	after, err := x.tokenBalance(token)
	if err != nil {
		return err
	}
	if got := new(big.Int).Sub(after, before); got.Cmp(amount) != 0 {
		return fmt.Errorf("%w: %s moved %s to the contract for a lock of %s; fee-on-transfer and rebasing tokens cannot be locked", ErrToken, token, got, amount)
	}
	return nil
}

// tokenBalance is the contract's balance of token.
func (x *call) tokenBalance(token common.Address) (*big.Int, error) {
	ret, err := x.st.CallContract(token, tokenCall(selBalanceOf, Address.Bytes()), gasTokenView, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %s.balanceOf: %v; is it an ERC-20?", ErrToken, token, err)
	}
	if len(ret) != 32 {
		return nil, fmt.Errorf("%w: %s.balanceOf returned %d bytes, not a uint256; is it an ERC-20?", ErrToken, token, len(ret))
	}
	return new(big.Int).SetBytes(ret), nil
}

// ERC-20 selectors.
var (
	selTransfer     = []byte{0xa9, 0x05, 0x9c, 0xbb} // transfer(address,uint256)
	selTransferFrom = []byte{0x23, 0xb8, 0x72, 0xdd} // transferFrom(address,address,uint256)
	selBalanceOf    = []byte{0x70, 0xa0, 0x82, 0x31} // balanceOf(address)
)

// tokenCall encodes a call of selector with address arguments and an
// optional trailing amount.
func tokenCall(selector []byte, args ...any) []byte {
	out := append([]byte{}, selector...)
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			out = append(out, common.LeftPadBytes(v, 32)...)
		case *big.Int:
			out = append(out, common.BigToHash(v).Bytes()...)
		}
	}
	return out
}

// tokenSaidYes accepts true, or nothing for tokens that return nothing
// (as USDT does); anything else is a refusal.
func tokenSaidYes(ret []byte) bool {
	if len(ret) == 0 {
		return true
	}
	return len(ret) == 32 && new(big.Int).SetBytes(ret).Cmp(big.NewInt(1)) == 0
}
