package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The escape hatch's client side (CROSSNET.md, "Escape hatch"): xfer claim
// proves an account's balance in a frozen subnet's last checkpointed state
// and claims it on the parent; snapshot export keeps such proofs in a file
// while the subnet still runs, for when no node of it is left.

// claimFlags are the flags of xfer claim and snapshot export: the parent's
// node and key (gwFlags, with --parent-rpc for its URL), the child's node
// (--rpc) and the account.
type claimFlags struct {
	gw       gwFlags
	childRPC string
	account  string
	snapshot string
	token    string // the token's contract on the parent: claim its balance, not the native one
}

func (c *claimFlags) register(cmd *cobra.Command, signs bool) {
	f := &c.gw
	fl := cmd.Flags()
	fl.StringVar(&f.home, "home", "", "a node's home: its rpc.listen reaches the parent (and, without --rpc, the subnet) and its account key signs")
	fl.StringVar(&f.rpcURL, "parent-rpc", "", "the parent's node, http://HOST:PORT, instead of the home's")
	fl.StringVar(&c.childRPC, "rpc", "", "a node of the subnet that has its state at the checkpoint (an archive node), http://HOST:PORT or the subnet's own URL")
	fl.StringVar(&c.account, "account", "", "the account whose balance is proven (default: the signing key's)")
	fl.StringVar(&c.token, "token", "", "claim the balance of this token (its contract on the parent, registered with registerClaimToken) instead of the native coin")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	fl.StringVar(&f.keyHex, "key", "", "sign with this account private key (hex) instead of the home's keystore")
	fl.StringVar(&f.keystore, "keystore", "", "sign with this keystore v3 file instead of the home's")
	fl.StringVar(&f.password, "password-file", "", "password file of --keystore (empty password if not given)")
	if signs {
		fl.DurationVar(&f.timeout, "timeout", 60*time.Second, "how long to wait for the transaction's receipt")
	}
}

// who is the account to prove: --account, or the signing key's address.
func (c *claimFlags) who() (common.Address, error) {
	if c.account != "" {
		if !common.IsHexAddress(c.account) {
			return common.Address{}, fmt.Errorf("--account %q is not an address; give 0x and 40 hex digits", c.account)
		}
		return common.HexToAddress(c.account), nil
	}
	cfg, err := c.gw.node()
	if err != nil {
		return common.Address{}, err
	}
	key, err := c.gw.accountKey(cfg)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w (or name the account with --account 0x…)", err)
	}
	return gethcrypto.PubkeyToAddress(key.PublicKey), nil
}

// childClient dials the subnet's node: --rpc, or the home's node.
func (c *claimFlags) childClient(ctx context.Context, id types.SubnetID) (*gethrpc.Client, string, error) {
	cfg, err := c.gw.node()
	if err != nil {
		return nil, "", err
	}
	url, err := (&gwFlags{rpcURL: c.childRPC}).chainURL(cfg, id)
	if err != nil {
		return nil, "", err
	}
	rc, err := gethrpc.DialContext(ctx, url)
	return rc, url, err
}

// snapshotProof is one account proof at a checkpoint height of a subnet.
type snapshotProof struct {
	Height       uint64          `json:"height"`
	StateRoot    common.Hash     `json:"stateRoot"`
	Balance      *hexutil.Big    `json:"balance"`
	AccountProof []hexutil.Bytes `json:"accountProof"`
	tokenProof
}

// claimSnapshot is the file snapshot export writes and xfer claim
// --snapshot reads: an account's proofs at the checkpoint heights of a
// subnet the export saw, newest last.
type claimSnapshot struct {
	Subnet  types.SubnetID  `json:"subnet"`
	Account common.Address  `json:"account"`
	Token   common.Address  `json:"token,omitempty"` // the token's contract on the parent, for a token's proofs
	Proofs  []snapshotProof `json:"proofs"`
}

// maxSnapshotProofs bounds a snapshot file: only the newest heights matter.
const maxSnapshotProofs = 64

// fetchProof is account's proof at height from the subnet's node, checked
// against that block's state root.
func fetchProof(ctx context.Context, rc *gethrpc.Client, url string, account common.Address, height uint64, tk *tokenTarget) (snapshotProof, error) {
	var block struct {
		StateRoot common.Hash `json:"stateRoot"`
	}
	if err := rc.CallContext(ctx, &block, "eth_getBlockByNumber", hexutil.Uint64(height), false); err != nil {
		return snapshotProof{}, fmt.Errorf("block %d from %s: %w", height, url, err)
	}
	var res struct {
		Balance      *hexutil.Big    `json:"balance"`
		AccountProof []hexutil.Bytes `json:"accountProof"`
	}
	if err := rc.CallContext(ctx, &res, "eth_getProof", account, []string{}, hexutil.Uint64(height)); err != nil {
		return snapshotProof{}, fmt.Errorf("eth_getProof of %s at block %d from %s (a node that pruned that state cannot answer; use an archive node or a snapshot): %w", account, height, url, err)
	}
	p := snapshotProof{Height: height, StateRoot: block.StateRoot, Balance: res.Balance, AccountProof: res.AccountProof}
	if tk != nil {
		var err error
		if p.tokenProof, err = fetchTokenProof(ctx, rc, url, account, height, tk); err != nil {
			return snapshotProof{}, err
		}
	}
	if _, err := p.encoded(account, tk); err != nil {
		return snapshotProof{}, fmt.Errorf("%s answered a proof of %s at block %d that does not verify: %w", url, account, height, err)
	}
	return p, nil
}

// encoded is the proof as claim takes it, checked against its state root.
func (p snapshotProof) encoded(account common.Address, tk *tokenTarget) ([]byte, error) {
	nodes := make([][]byte, 0, len(p.AccountProof)+len(p.TokenProof)+len(p.StorageProof))
	for _, n := range slices.Concat(p.AccountProof, p.TokenProof, p.StorageProof) {
		nodes = append(nodes, n)
	}
	enc, err := gateway.EncodePowProof(nodes)
	if err != nil {
		return nil, err
	}
	if tk != nil {
		return p.tokenProof.check(enc, p.StateRoot, account, tk)
	}
	bal, err := gateway.VerifyClaimProof(p.StateRoot, account, enc)
	if err != nil {
		return nil, err
	}
	if p.Balance != nil && bal.Cmp(p.Balance.ToInt()) != 0 {
		return nil, fmt.Errorf("the proof shows a balance of %s, not the %s given", bal, p.Balance.ToInt())
	}
	return enc, nil
}

// claimResult is what xfer claim prints with --json.
type claimResult struct {
	Subnet     types.SubnetID `json:"subnet"`
	Account    common.Address `json:"account"`
	Amount     string         `json:"amount"` // coins
	AmountWei  *hexutil.Big   `json:"amountWei"`
	Height     uint64         `json:"height"`
	StateRoot  common.Hash    `json:"stateRoot"`
	ProofBytes int            `json:"proofBytes"`
	Tx         common.Hash    `json:"tx"`
	Block      uint64         `json:"block"`
}

func xferClaimCmd() *cobra.Command {
	var c claimFlags
	cmd := &cobra.Command{
		Use:   "claim SUBNET --home DIR [--account 0x…] [--rpc URL | --snapshot FILE]",
		Short: "Claim on the parent an account's balance in a killed or stalled subnet",
		Long: "claim proves the account's balance in the state root of the frozen subnet's last committed\n" +
			"checkpoint (eth_getProof at that height, from --rpc, a node of the subnet that still has the\n" +
			"state, or from --snapshot, a file aspen snapshot export wrote) and calls claim on the parent's\n" +
			"gateway, which pays the account there. Once per account.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			return runClaim(cmd, &c, id)
		},
	}
	c.register(cmd, true)
	cmd.Flags().StringVar(&c.snapshot, "snapshot", "", "read the proof from this file (aspen snapshot export) instead of a node of the subnet")
	return cmd
}

func runClaim(cmd *cobra.Command, c *claimFlags, id types.SubnetID) error {
	ctx := cmd.Context()
	account, err := c.who()
	if err != nil {
		return err
	}
	g, _, err := chainGateway(ctx, cmd, &c.gw, id.Parent(), true)
	if err != nil {
		return err
	}
	defer g.Close()
	out, err := g.Call(ctx, "claimRoot", string(id))
	if err != nil {
		return err
	}
	frozen, height, root := out[0].(bool), out[1].(uint64), common.Hash(out[2].([32]byte))
	switch {
	case !frozen:
		return fmt.Errorf("%s is live: its balances can be claimed only once it is killed or stalls (see stallWindow on %s's gateway); move coins out with aspen xfer release", id, id.Parent())
	case height == 0 || root == (common.Hash{}):
		return fmt.Errorf("%s is frozen, but %s records no checkpoint state root of it to prove balances against", id, id.Parent())
	}
	tk, err := c.tokenTarget(ctx, g, id)
	if err != nil {
		return err
	}
	var p snapshotProof
	if c.snapshot != "" {
		if p, err = proofFromSnapshot(c.snapshot, id, account, tk.parent(), height); err != nil {
			return err
		}
	} else {
		rc, url, err := c.childClient(ctx, id)
		if err != nil {
			return err
		}
		defer rc.Close()
		if p, err = fetchProof(ctx, rc, url, account, height, tk); err != nil {
			return err
		}
	}
	if p.StateRoot != root {
		return fmt.Errorf("the proof is against state root %s at height %d, but %s's last checkpoint of %s has state root %s: the source is on another fork or lied", p.StateRoot, height, id.Parent(), id, root)
	}
	enc, err := p.encoded(account, tk)
	if err != nil {
		return err
	}
	if tk != nil {
		return submitTokenClaim(cmd, c, g, id, account, tk, p, enc)
	}
	if p.Balance == nil || p.Balance.ToInt().Sign() == 0 {
		return fmt.Errorf("%s held nothing in %s at its last checkpoint (height %d); nothing to claim", account, id, height)
	}
	tx, err := g.Transact(ctx, "claim", nil, string(id), account, enc)
	if err != nil {
		return err
	}
	res := claimResult{Subnet: id, Account: account, Height: height, StateRoot: root, ProofBytes: len(enc), Tx: tx.Hash, Block: tx.Receipt.BlockNumber.Uint64()}
	ev, _, ok := g.Event(tx.Receipt, "Claimed")
	amount, _ := ev["amount"].(*big.Int)
	if !ok || amount == nil {
		return fmt.Errorf("claim: transaction %s succeeded but emitted no Claimed event; is %s an Aspen gateway?", tx.Hash, g.URL())
	}
	res.AmountWei, res.Amount = (*hexutil.Big)(amount), formatCoins(amount)
	if c.gw.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(res)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Claimed %s coins for %s from %s on %s\n  checkpoint  height %d, state root %s\n  proof       %d bytes\n  tx          %s (block %d)\n",
		res.Amount, account, id, id.Parent(), height, root, len(enc), res.Tx, res.Block)
	return nil
}

func proofFromSnapshot(path string, id types.SubnetID, account, token common.Address, height uint64) (snapshotProof, error) {
	s, err := readSnapshot(path)
	if err != nil {
		return snapshotProof{}, err
	}
	switch {
	case s.Subnet != id:
		return snapshotProof{}, fmt.Errorf("snapshot %s is of %s, not %s", path, s.Subnet, id)
	case s.Account != account:
		return snapshotProof{}, fmt.Errorf("snapshot %s proves %s, not %s; give --account %s", path, s.Account, account, s.Account)
	case s.Token != token:
		return snapshotProof{}, fmt.Errorf("snapshot %s proves balances of token %s, not of %s (the zero address: the native coin); export with --token to match", path, s.Token, token)
	}
	for _, p := range s.Proofs {
		if p.Height == height {
			return p, nil
		}
	}
	heights := make([]uint64, len(s.Proofs))
	for i, p := range s.Proofs {
		heights[i] = p.Height
	}
	return snapshotProof{}, fmt.Errorf("snapshot %s has no proof at height %d, the last checkpoint of %s (it has heights %v); it was exported before that checkpoint", path, height, id, heights)
}

// maxSnapshotBytes bounds a snapshot file read.
const maxSnapshotBytes = 8 << 20

func readSnapshot(path string) (*claimSnapshot, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSnapshotBytes {
		return nil, fmt.Errorf("snapshot %s has %d bytes, more than a snapshot holds (%d)", path, fi.Size(), maxSnapshotBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s claimSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return &s, nil
}

func snapshotCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Keep proofs of an account's balance in a subnet, for the escape hatch",
	}
	cmd.AddCommand(snapshotExportCmd())
	return cmd
}

func snapshotExportCmd() *cobra.Command {
	var c claimFlags
	var out string
	cmd := &cobra.Command{
		Use:   "export SUBNET --home DIR --out FILE [--account 0x…] [--rpc URL]",
		Short: "Save proofs of an account at the subnet's recent checkpoint heights",
		Long: "export proves the account in the subnet's state at every checkpoint height from the last one\n" +
			"its parent committed up to the subnet's head (where the next checkpoints will be), and adds\n" +
			"them to FILE. Run it now and then while the subnet runs: should it be killed or stall and no\n" +
			"node of it be left, aspen xfer claim --snapshot FILE claims with the proof at its last checkpoint.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := childID(args[0])
			if err != nil {
				return err
			}
			if out == "" {
				return errors.New("give --out FILE")
			}
			return runExport(cmd, &c, id, out)
		},
	}
	c.register(cmd, false)
	cmd.Flags().StringVar(&out, "out", "", "the snapshot file (added to if it exists)")
	return cmd
}

func runExport(cmd *cobra.Command, c *claimFlags, id types.SubnetID, out string) error {
	ctx := cmd.Context()
	account, err := c.who()
	if err != nil {
		return err
	}
	g, _, err := chainGateway(ctx, cmd, &c.gw, id.Parent(), false)
	if err != nil {
		return err
	}
	defer g.Close()
	info, err := g.Subnet(ctx, id)
	if err != nil {
		return err
	}
	tk, err := c.tokenTarget(ctx, g, id)
	if err != nil {
		return err
	}
	rc, url, err := c.childClient(ctx, id)
	if err != nil {
		return err
	}
	defer rc.Close()
	var head hexutil.Uint64
	if err := rc.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return fmt.Errorf("head of %s from %s: %w", id, url, err)
	}
	period := uint64(info.Params.CheckpointPeriod)
	from := info.LastCheckpointHeight
	if from == 0 {
		from = period
	}
	if uint64(head) < from {
		return fmt.Errorf("%s is at block %d, before its first checkpoint at %d; nothing to prove yet", id, head, from)
	}
	// The newest heights matter: start no more than maxSnapshotProofs back.
	if n := (uint64(head) - from) / period; n >= maxSnapshotProofs {
		from += (n - maxSnapshotProofs + 1) * period
	}
	s := &claimSnapshot{Subnet: id, Account: account, Token: tk.parent()}
	if _, err := os.Stat(out); err == nil {
		if s, err = readSnapshot(out); err != nil {
			return err
		}
		if s.Subnet != id || s.Account != account || s.Token != tk.parent() {
			return fmt.Errorf("%s holds proofs of %s in %s (token %s); export %s in %s to another file", out, s.Account, s.Subnet, s.Token, account, id)
		}
	}
	var added []uint64
	for h := from; h <= uint64(head); h += period {
		if slices.ContainsFunc(s.Proofs, func(p snapshotProof) bool { return p.Height == h }) {
			continue
		}
		p, err := fetchProof(ctx, rc, url, account, h, tk)
		if err != nil {
			return err
		}
		s.Proofs = append(s.Proofs, p)
		added = append(added, h)
	}
	slices.SortFunc(s.Proofs, func(a, b snapshotProof) int { return int(int64(a.Height) - int64(b.Height)) })
	if len(s.Proofs) > maxSnapshotProofs {
		s.Proofs = s.Proofs[len(s.Proofs)-maxSnapshotProofs:]
	}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	if c.gw.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"file": out, "added": added, "proofs": len(s.Proofs)})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Saved proofs of %s in %s at heights %v to %s (%d in all)\n", account, id, added, out, len(s.Proofs))
	return nil
}
