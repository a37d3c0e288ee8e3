package gateway

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Token claims (CROSSNET.md, "Escape hatch"): ERC-20 balances in a frozen
// child, for tokens that asked for it. The gateway cannot know what a
// child's token is worth here, so a token's own contract on this chain —
// the parent side of its bridge, which locked or minted what went below —
// registers itself for a child: the child-side token's address, the slot
// of its balance mapping (Solidity's layout: an account's balance is at
// keccak256(account ‖ slot)) and a cap, the most it will ever pay out of
// that child. Once the child is frozen, claimToken proves an account's
// balance in the last checkpoint's state, records it claimed and asks the
// registered contract to pay it (IHatchToken.hatchPay). A registration is
// keyed by the contract that made it, so nobody can register for a token
// of someone else: a wrong one pays only its own tokens.

// HatchPayGas is what claimToken gives the token's hatchPay.
const HatchPayGas = 200_000

// hatchPaySelector is IHatchToken.hatchPay(string,address,uint256)'s
// selector: what hatchPay must return, so an account with no code, or a
// contract that is no token of the hatch, cannot take a claim.
var hatchPaySelector = crypto.Keccak256([]byte("hatchPay(string,address,uint256)"))[:4]

var hatchPayArgs = abi.Arguments{{Type: mustType("string")}, {Type: mustType("address")}, {Type: mustType("uint256")}}

// tokenReg is a registration, as stored at tokenRegSlot + 0..3.
type tokenReg struct {
	childToken common.Address
	slot       common.Hash // the balance mapping's slot in childToken's storage
	cap, paid  *big.Int
}

func readTokenReg(st StateReader, name string, token common.Address) (tokenReg, bool) {
	base := tokenRegSlot(name, token)
	r := tokenReg{
		childToken: common.BytesToAddress(st.GetState(base).Bytes()),
		slot:       st.GetState(plus(base, 1)),
		cap:        wordBig(st.GetState(plus(base, 2))),
		paid:       wordBig(st.GetState(plus(base, 3))),
	}
	return r, r.childToken != (common.Address{})
}

// registerClaimToken is IGateway.registerClaimToken; the caller is the
// token's contract on this chain.
func (x *call) registerClaimToken(id string, childToken common.Address, slot, cap *big.Int) error {
	if err := x.noValue("registerClaimToken"); err != nil {
		return err
	}
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	if err := x.refuseFrozen(name, "takes no token registration: the tokens claimable from it are fixed"); err != nil {
		return err
	}
	if _, ok := readTokenReg(x.st, name, x.c.Caller); ok {
		return reverted("gateway: %s is registered for claims from %s already; a registration is fixed, so the token's holders can rely on it", x.c.Caller, id)
	}
	switch {
	case childToken == (common.Address{}):
		return reverted("gateway: registerClaimToken needs the token's address in %s, not the zero address", id)
	case cap.Sign() <= 0 || cap.BitLen() > 256:
		return reverted("gateway: registerClaimToken needs a cap above 0 (the most the token pays out of %s in claims)", id)
	case slot.BitLen() > 256:
		return reverted("gateway: balance slot %s is not a storage slot", slot)
	}
	base := tokenRegSlot(name, x.c.Caller)
	x.st.SetState(base, common.BytesToHash(childToken.Bytes()))
	x.st.SetState(plus(base, 1), bigWord(slot))
	x.st.SetState(plus(base, 2), bigWord(cap))
	x.emit("ClaimTokenRegistered", []common.Hash{addrTopic(x.c.Caller)}, id, childToken, slot, cap)
	return nil
}

// claimTokenOf is IGateway.claimTokenOf.
func (x *call) claimTokenOf(id string, token common.Address) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	r, ok := readTokenReg(x.st, name, token)
	if !ok {
		return []any{common.Address{}, new(big.Int), new(big.Int), new(big.Int)}, nil
	}
	return []any{r.childToken, wordBig(r.slot), r.cap, r.paid}, nil
}

// tokenClaimedBy is IGateway.tokenClaimed.
func (x *call) tokenClaimedBy(id string, token, account common.Address) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	return []any{wordBig(x.st.GetState(tokenClaimedSlot(name, token, account)))}, nil
}

// TokenBalanceSlot is where a Solidity mapping at slot keeps account's
// entry: keccak256(account ‖ slot), each left-padded to a word.
func TokenBalanceSlot(account common.Address, slot common.Hash) common.Hash {
	return crypto.Keccak256Hash(common.LeftPadBytes(account[:], 32), slot[:])
}

// claimToken is IGateway.claimToken.
func (x *call) claimToken(id string, token, account common.Address, proof []byte) ([]any, error) {
	if err := x.noValue("claimToken"); err != nil {
		return nil, err
	}
	name, root, height, err := x.claimable(id, account)
	if err != nil {
		return nil, err
	}
	r, ok := readTokenReg(x.st, name, token)
	if !ok {
		return nil, reverted("gateway: %s registered no token claims from %s (registerClaimToken); nothing of it can be claimed", token, id)
	}
	if paid := wordBig(x.st.GetState(tokenClaimedSlot(name, token, account))); paid.Sign() > 0 {
		return nil, reverted("gateway: %s already claimed %s of token %s from %s; an account claims once", account, paid, token, id)
	}
	amount, err := proveTokenBalance(proof, root, r.childToken, r.slot, account)
	if err != nil {
		return nil, reverted("gateway: token claim of %s from %s: %v; the proof must hold eth_getProof's accountProof of %s and of the token %s with the storageProof of slot %s, at height %d (state root %s)",
			account, id, err, account, r.childToken, TokenBalanceSlot(account, r.slot), height, root)
	}
	switch left := new(big.Int).Sub(r.cap, r.paid); {
	case amount.Sign() == 0:
		return nil, reverted("gateway: %s held none of token %s in %s at its last checkpoint (height %d); nothing to claim", account, r.childToken, id, height)
	case amount.Cmp(left) > 0:
		return nil, reverted("gateway: firewall: %s claims %s of token %s, more than the %s left of the cap its registration set for %s", account, amount, token, left, id)
	}
	x.freezeOnFirstClaim(name, id, height, root)
	// Recorded before the token runs: a hatchPay that calls back finds it claimed.
	x.st.SetState(tokenClaimedSlot(name, token, account), bigWord(amount))
	x.st.SetState(plus(tokenRegSlot(name, token), 3), bigWord(new(big.Int).Add(r.paid, amount)))
	if err := x.hatchPay(id, token, account, amount); err != nil {
		return nil, err
	}
	x.emit("TokenClaimed", []common.Hash{addrTopic(token), addrTopic(account)}, id, amount)
	return []any{amount}, nil
}

// hatchPay asks the token's contract to pay amount to account; anything
// but its selector back reverts the claim.
func (x *call) hatchPay(id string, token, account common.Address, amount *big.Int) error {
	cc, ok := x.st.(ContractCaller)
	if !ok {
		return reverted("gateway: this chain cannot call token contracts; token claims are unavailable")
	}
	args, err := hatchPayArgs.Pack(id, account, amount)
	if err != nil {
		return fmt.Errorf("gateway: packing hatchPay: %w", err)
	}
	ret, _, err := cc.CallContract(token, append(bytes.Clone(hatchPaySelector), args...), new(big.Int), HatchPayGas)
	switch {
	case err != nil:
		return reverted("gateway: token %s refused to pay the claim of %s (%s): %v", token, account, amount, err)
	case len(ret) < 4 || !bytes.Equal(ret[:4], hatchPaySelector):
		return reverted("gateway: %s did not answer hatchPay with its selector; it is not a token of the escape hatch (IHatchToken), and the claim is not paid", token)
	}
	return nil
}

// proveTokenBalance reads account's entry of the balance mapping at slot
// of the contract token in the state with root. account itself must be no
// contract there (its address here need not be its own); absent is fine.
func proveTokenBalance(enc []byte, root common.Hash, token common.Address, slot common.Hash, account common.Address) (*big.Int, error) {
	p, err := decodePowProof(enc)
	if err != nil {
		return nil, err
	}
	holder, err := proveAccount(p, root, account)
	if err != nil {
		return nil, err
	}
	if holder != nil && !bytes.Equal(holder.CodeHash, gethtypes.EmptyCodeHash[:]) {
		return nil, fmt.Errorf("%s is a contract there, and contracts cannot claim", account)
	}
	acc, err := proveAccount(p, root, token)
	if err != nil {
		return nil, err
	}
	if acc == nil {
		return nil, fmt.Errorf("the state has no account %s: the token was not deployed there", token)
	}
	key := TokenBalanceSlot(account, slot)
	v, err := trie.VerifyProof(acc.Root, crypto.Keccak256(key[:]), p)
	if err != nil {
		return nil, fmt.Errorf("%w: slot %s of %s: %v", ErrPowProof, key, token, err)
	}
	if len(v) == 0 {
		return new(big.Int), nil
	}
	_, content, _, err := rlp.Split(v)
	if err != nil || len(content) > 32 {
		return nil, fmt.Errorf("%w: slot %s holds %x, not a word", ErrPowProof, key, v)
	}
	return new(big.Int).SetBytes(content), nil
}

// VerifyTokenClaimProof checks a token claim's proof as claimToken will
// and returns the balance it proves: a client checks before it pays gas.
func VerifyTokenClaimProof(root common.Hash, token common.Address, slot common.Hash, account common.Address, proof []byte) (*big.Int, error) {
	return proveTokenBalance(proof, root, token, slot, account)
}

// claimTokenGas prices claimToken: claim's reads, proof and writes, a
// third keccak walk of the proof (two accounts and a slot), the token's
// hatchPay, and two events.
func claimTokenGas(proof []byte) uint64 {
	words := uint64((len(proof) + 31) / 32)
	return gasRead*16 + 3*(gasHash+gasHashWord*words) + 2*gasProofSlot + gasWrite*3 + HatchPayGas + 2*gasEvent
}
