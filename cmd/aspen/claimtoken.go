package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// Token claims (xfer claim --token, snapshot export --token): an ERC-20
// balance in a frozen subnet, for a token whose contract on the parent
// registered its balance slot (IGateway.registerClaimToken).

// tokenTarget is a registration: the token's contract on the parent, its
// address in the subnet and the slot of its balance mapping there.
type tokenTarget struct {
	token, child common.Address
	slot         common.Hash
}

// parent is the token's contract on the parent; zero without a token.
func (t *tokenTarget) parent() common.Address {
	if t == nil {
		return common.Address{}
	}
	return t.token
}

// tokenProof is what a token claim proves beside the account: the child
// token's account and its balance slot of the account.
type tokenProof struct {
	TokenBalance *hexutil.Big    `json:"tokenBalance,omitempty"`
	TokenProof   []hexutil.Bytes `json:"tokenProof,omitempty"`
	StorageProof []hexutil.Bytes `json:"storageProof,omitempty"`
}

// tokenTarget reads --token's registration for id on the parent; nil
// without --token.
func (c *claimFlags) tokenTarget(ctx context.Context, g *client.Gateway, id types.SubnetID) (*tokenTarget, error) {
	if c.token == "" {
		return nil, nil
	}
	if !common.IsHexAddress(c.token) {
		return nil, fmt.Errorf("--token %q is not an address; give the token's contract on %s, 0x and 40 hex digits", c.token, id.Parent())
	}
	token := common.HexToAddress(c.token)
	out, err := g.Call(ctx, "claimTokenOf", string(id), token)
	if err != nil {
		return nil, err
	}
	child, slot := out[0].(common.Address), common.BigToHash(out[1].(*big.Int))
	if child == (common.Address{}) {
		return nil, fmt.Errorf("%s registered no token claims from %s on %s (IGateway.registerClaimToken); only its native balance can be claimed", token, id, id.Parent())
	}
	return &tokenTarget{token: token, child: child, slot: slot}, nil
}

// fetchTokenProof is eth_getProof of the child token with the account's
// balance slot, at height.
func fetchTokenProof(ctx context.Context, rc *gethrpc.Client, url string, account common.Address, height uint64, tk *tokenTarget) (tokenProof, error) {
	key := gateway.TokenBalanceSlot(account, tk.slot)
	var res struct {
		AccountProof []hexutil.Bytes `json:"accountProof"`
		StorageProof []struct {
			Value *hexutil.Big    `json:"value"`
			Proof []hexutil.Bytes `json:"proof"`
		} `json:"storageProof"`
	}
	if err := rc.CallContext(ctx, &res, "eth_getProof", tk.child, []string{key.Hex()}, hexutil.Uint64(height)); err != nil {
		return tokenProof{}, fmt.Errorf("eth_getProof of token %s at block %d from %s: %w", tk.child, height, url, err)
	}
	if len(res.StorageProof) != 1 {
		return tokenProof{}, fmt.Errorf("%s answered %d storage proofs for one slot of %s", url, len(res.StorageProof), tk.child)
	}
	return tokenProof{TokenBalance: res.StorageProof[0].Value, TokenProof: res.AccountProof, StorageProof: res.StorageProof[0].Proof}, nil
}

// check verifies enc (the account's and the token's nodes) against root as
// claimToken will, and that it proves the balance the source said.
func (p tokenProof) check(enc []byte, root common.Hash, account common.Address, tk *tokenTarget) ([]byte, error) {
	bal, err := gateway.VerifyTokenClaimProof(root, tk.child, tk.slot, account, enc)
	if err != nil {
		return nil, err
	}
	if p.TokenBalance == nil || bal.Cmp(p.TokenBalance.ToInt()) != 0 {
		return nil, fmt.Errorf("the proof shows a token balance of %s, not the %v given", bal, p.TokenBalance)
	}
	return enc, nil
}

// tokenClaimResult is what xfer claim --token prints with --json.
type tokenClaimResult struct {
	Subnet     types.SubnetID `json:"subnet"`
	Account    common.Address `json:"account"`
	Token      common.Address `json:"token"`
	ChildToken common.Address `json:"childToken"`
	Amount     *hexutil.Big   `json:"amount"` // the token's units
	Height     uint64         `json:"height"`
	StateRoot  common.Hash    `json:"stateRoot"`
	ProofBytes int            `json:"proofBytes"`
	Tx         common.Hash    `json:"tx"`
	Block      uint64         `json:"block"`
}

func submitTokenClaim(cmd *cobra.Command, c *claimFlags, g *client.Gateway, id types.SubnetID, account common.Address, tk *tokenTarget, p snapshotProof, enc []byte) error {
	if p.TokenBalance == nil || p.TokenBalance.ToInt().Sign() == 0 {
		return fmt.Errorf("%s held none of token %s in %s at its last checkpoint (height %d); nothing to claim", account, tk.child, id, p.Height)
	}
	tx, err := g.Transact(cmd.Context(), "claimToken", nil, string(id), tk.token, account, enc)
	if err != nil {
		return err
	}
	ev, _, ok := g.Event(tx.Receipt, "TokenClaimed")
	amount, _ := ev["amount"].(*big.Int)
	if !ok || amount == nil {
		return fmt.Errorf("claimToken: transaction %s succeeded but emitted no TokenClaimed event; is %s an Aspen gateway?", tx.Hash, g.URL())
	}
	res := tokenClaimResult{Subnet: id, Account: account, Token: tk.token, ChildToken: tk.child, Amount: (*hexutil.Big)(amount),
		Height: p.Height, StateRoot: p.StateRoot, ProofBytes: len(enc), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
	if c.gw.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Claimed %s of token %s (%s in %s) for %s on %s\n  checkpoint  height %d, state root %s\n  proof       %d bytes\n  tx          %s (block %d)\n",
		amount, tk.token, tk.child, id, account, id.Parent(), res.Height, res.StateRoot, res.ProofBytes, res.Tx, res.Block)
	return nil
}
