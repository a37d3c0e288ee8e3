package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/htlc"
	"github.com/aspen-chain/aspen/types"
)

// The machinery of aspen swap (swap.go): a party's state file, the
// connections to both chains, and transactions noted before they are
// awaited, so that every command can be run again after an interruption.

// swapState is one party's side of a swap, as kept in its file.
type swapState struct {
	Role       string                 `json:"role"` // "maker" or "taker"
	Hashlock   common.Hash            `json:"hashlock"`
	Preimage   *common.Hash           `json:"preimage,omitempty"` // the maker's secret (until revealed, only in the maker's file)
	Src        types.SubnetID         `json:"src"`                // where the maker locks
	Dst        types.SubnetID         `json:"dst"`                // where the taker locks
	Maker      common.Address         `json:"maker"`
	Taker      common.Address         `json:"taker"`
	Give       *big.Int               `json:"give"` // wei the maker locks on src
	Want       *big.Int               `json:"want"` // wei the taker locks on dst
	MarginSec  uint64                 `json:"marginSec"`
	SrcID      common.Hash            `json:"srcId"`
	SrcTimeout uint64                 `json:"srcTimeout"` // unix seconds
	DstID      common.Hash            `json:"dstId,omitempty"`
	DstTimeout uint64                 `json:"dstTimeout,omitempty"`
	DstFrom    uint64                 `json:"dstFromBlock,omitempty"` // where the maker looks for the counter-lock
	Pending    map[string]common.Hash `json:"pending,omitempty"`      // step -> transaction sent, not yet confirmed
	Txs        map[string]txNote      `json:"txs"`                    // step -> confirmed transaction
	// Src/DstStatus are filled from the chains when printed.
	SrcStatus string `json:"srcStatus,omitempty"`
	DstStatus string `json:"dstStatus,omitempty"`
}

type txNote struct {
	Chain   types.SubnetID `json:"chain"`
	Tx      common.Hash    `json:"tx"`
	Block   uint64         `json:"block"`
	GasUsed uint64         `json:"gasUsed"`
	Fee     *big.Int       `json:"fee"` // wei
}

// swapFlags are the flags every swap command shares.
type swapFlags struct {
	gwFlags
	stateDir string
	wait     time.Duration
}

func (f *swapFlags) register(cmd *cobra.Command, waits bool) {
	f.gwFlags.register(cmd, true)
	cmd.Flags().StringVar(&f.stateDir, "state-dir", "", "where swap state files live (default HOME/swaps)")
	if waits {
		cmd.Flags().DurationVar(&f.wait, "wait", 10*time.Minute, "how long to wait for the other party or a timeout")
	}
}

func (f *swapFlags) dir() (string, error) {
	switch {
	case f.stateDir != "":
		return f.stateDir, nil
	case f.home != "":
		return filepath.Join(f.home, "swaps"), nil
	}
	return "", errors.New("no place for the swap's state: give --home DIR or --state-dir DIR")
}

// session is one command's connections.
type session struct {
	cmd   *cobra.Command
	f     *swapFlags
	ctx   context.Context
	abi   *client.Contract
	conns map[types.SubnetID]*chainConn
	path  string
	st    *swapState
}

type chainConn struct {
	h   *client.Gateway   // the HTLC contract, signing
	eth *ethclient.Client // reads: blocks, logs, receipts
}

func newSession(cmd *cobra.Command, f *swapFlags) (*session, context.CancelFunc, error) {
	parsed, err := htlc.ParseABI()
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	s := &session{cmd: cmd, f: f, ctx: ctx, abi: &client.Contract{Address: htlc.Address, ABI: parsed}, conns: map[types.SubnetID]*chainConn{}}
	return s, func() {
		for _, c := range s.conns {
			c.h.Close()
			c.eth.Close()
		}
		cancel()
	}, nil
}

func (s *session) chain(id types.SubnetID) (*chainConn, error) {
	if c := s.conns[id]; c != nil {
		return c, nil
	}
	cfg, err := s.f.node()
	if err != nil {
		return nil, err
	}
	url, err := s.f.chainURL(cfg, id)
	if err != nil {
		return nil, err
	}
	if s.f.rpcURL != "" {
		if u, perr := neturl.Parse(s.f.rpcURL); perr == nil && strings.Trim(u.Path, "/") != "" {
			return nil, fmt.Errorf("--rpc %s names one chain; a swap uses two, so give the node's base URL http://HOST:PORT", s.f.rpcURL)
		}
	}
	key, err := s.f.accountKey(cfg)
	if err != nil {
		return nil, err
	}
	progress := s.cmd.ErrOrStderr()
	if s.f.asJSON {
		progress = nil
	}
	h, err := client.DialGateway(s.ctx, url, client.Options{Key: key, Timeout: s.f.timeout, Progress: progress, Home: s.f.home, Contract: s.abi})
	if err != nil {
		return nil, err
	}
	eth, err := ethclient.DialContext(s.ctx, url)
	if err != nil {
		h.Close()
		return nil, client.RPCError(url, s.f.home, err)
	}
	s.conns[id] = &chainConn{h: h, eth: eth}
	return s.conns[id], nil
}

// me is the signing account.
func (s *session) me() (common.Address, error) {
	cfg, err := s.f.node()
	if err != nil {
		return common.Address{}, err
	}
	key, err := s.f.accountKey(cfg)
	if err != nil {
		return common.Address{}, err
	}
	return gethcrypto.PubkeyToAddress(key.PublicKey), nil
}

// save writes the state file atomically.
func (s *session) save() error {
	b, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.path)
}

// load finds the state file of a swap by its hashlock or its src id.
func (s *session) load(ref string) error {
	if !isHash(ref) {
		return fmt.Errorf("%q is not a swap: give its hashlock or its id on the source chain (0x and 64 hex digits)", ref)
	}
	dir, err := s.f.dir()
	if err != nil {
		return err
	}
	want := common.HexToHash(ref)
	found := 0
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		var st swapState
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		if st.Hashlock == want || st.SrcID == want {
			s.st, s.path = &st, filepath.Join(dir, e.Name())
			found++
		}
	}
	switch found {
	case 1:
		return s.resumeLock()
	case 2:
		return fmt.Errorf("%s holds both the maker's and the taker's side of swap %s; give each party its own --state-dir", dir, ref)
	}
	return fmt.Errorf("no swap %s in %s: run the command with the --home or --state-dir that offer or take used", ref, dir)
}

// create starts a new state file for st.
func (s *session) create(st *swapState) error {
	dir, err := s.f.dir()
	if err != nil {
		return err
	}
	s.st, s.path = st, filepath.Join(dir, st.Role+"-"+st.Hashlock.Hex()+".json")
	if _, err := os.Stat(s.path); err == nil {
		return fmt.Errorf("%s exists already: this swap was started; use aspen swap status %s", s.path, st.Hashlock)
	}
	return s.save()
}

// transact sends one step's transaction, noting it in the state file
// before waiting for it so that a resumed command finds it.
func (s *session) transact(step string, chain types.SubnetID, value *big.Int, method string, args ...any) (*client.SentTx, error) {
	c, err := s.chain(chain)
	if err != nil {
		return nil, err
	}
	p, err := c.h.Send(s.ctx, method, value, args...)
	if err != nil {
		return nil, err
	}
	if s.st.Pending == nil {
		s.st.Pending = map[string]common.Hash{}
	}
	s.st.Pending[step] = p.Hash()
	if err := s.save(); err != nil {
		return nil, err
	}
	tx, err := c.h.Confirm(s.ctx, p)
	if err != nil {
		return nil, err
	}
	s.note(step, chain, tx)
	return tx, s.save()
}

func (s *session) note(step string, chain types.SubnetID, tx *client.SentTx) {
	if s.st.Txs == nil {
		s.st.Txs = map[string]txNote{}
	}
	r := tx.Receipt
	fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
	s.st.Txs[step] = txNote{Chain: chain, Tx: tx.Hash, Block: r.BlockNumber.Uint64(), GasUsed: r.GasUsed, Fee: fee}
	delete(s.st.Pending, step)
}

// recover looks up a transaction sent before an interruption: its receipt
// if it was included (and notes it), nil if it was not (yet).
func (s *session) recover(step string, chain types.SubnetID) (*client.SentTx, error) {
	h, ok := s.st.Pending[step]
	if !ok {
		return nil, nil
	}
	c, err := s.chain(chain)
	if err != nil {
		return nil, err
	}
	r, err := c.eth.TransactionReceipt(s.ctx, h)
	if errors.Is(err, ethereum.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.Status != 1 {
		delete(s.st.Pending, step)
		return nil, s.save()
	}
	tx := &client.SentTx{Hash: h, Receipt: r}
	s.note(step, chain, tx)
	return tx, s.save()
}

// resumeLock finishes the bookkeeping of a lock sent before an
// interruption: its receipt and the id it gave.
func (s *session) resumeLock() error {
	chain := s.st.Src
	if s.st.Role == "taker" {
		chain = s.st.Dst
	}
	tx, err := s.recover("lock", chain)
	if err != nil || tx == nil {
		return err
	}
	c, err := s.chain(chain)
	if err != nil {
		return err
	}
	id, err := lockedID(c, tx)
	if err != nil {
		return err
	}
	if s.st.Role == "taker" {
		s.st.DstID = id
	} else {
		s.st.SrcID = id
	}
	return s.save()
}

// onChain is a swap as the contract has it.
type onChain struct {
	Sender, Recipient, Token common.Address
	Amount                   *big.Int
	Hashlock                 common.Hash
	Timeout                  uint64
	Status                   htlc.Status
	Preimage                 common.Hash
}

func (s *session) read(chain types.SubnetID, id common.Hash) (onChain, error) {
	c, err := s.chain(chain)
	if err != nil {
		return onChain{}, err
	}
	out, err := c.h.Call(s.ctx, "swap", [32]byte(id))
	if err != nil {
		return onChain{}, err
	}
	return onChain{out[0].(common.Address), out[1].(common.Address), out[2].(common.Address), out[3].(*big.Int),
		out[4].([32]byte), out[5].(uint64), htlc.Status(out[6].(uint8)), out[7].([32]byte)}, nil
}

// lockedID is the swap id in a receipt's Locked event.
func lockedID(c *chainConn, tx *client.SentTx) (common.Hash, error) {
	_, topics, ok := c.h.Event(tx.Receipt, "Locked")
	if !ok || len(topics) == 0 {
		return common.Hash{}, fmt.Errorf("transaction %s emitted no Locked event; is %s an Aspen chain with the HTLC contract?", tx.Hash, c.h.URL())
	}
	return topics[0], nil
}

// poll runs check every 200 ms until it reports done, fails, or wait runs out.
func (s *session) poll(what string, check func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.f.wait)
	defer cancel()
	announced := false
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := check()
		if err != nil && s.ctx.Err() != nil {
			// Ctrl-C cut a read short: say so, not that the node is gone.
			return fmt.Errorf("interrupted while waiting for %s; run the same command again to go on", what)
		}
		if done || err != nil {
			return err
		}
		if !announced {
			// On stderr even with --json: a script may wait for this line.
			fmt.Fprintf(s.cmd.ErrOrStderr(), "waiting for %s (Ctrl-C stops; the same command goes on later)\n", what)
			announced = true
		}
		select {
		case <-ctx.Done():
			if s.ctx.Err() != nil {
				return fmt.Errorf("interrupted while waiting for %s; run the same command again to go on", what)
			}
			return fmt.Errorf("no %s after --wait %s; run the command again to wait longer", what, s.f.wait)
		case <-tick.C:
		}
	}
}

func (s *session) print(msg string, args ...any) error {
	if s.f.asJSON {
		return json.NewEncoder(s.cmd.OutOrStdout()).Encode(s.st)
	}
	fmt.Fprintf(s.cmd.OutOrStdout(), msg+"\n", args...)
	return nil
}

func now() uint64 { return uint64(time.Now().Unix()) }

func parseChains(src, dst string) (types.SubnetID, types.SubnetID, error) {
	a, err := types.ParseSubnetID(src)
	if err != nil {
		return "", "", fmt.Errorf("--src %q: %w", src, err)
	}
	b, err := types.ParseSubnetID(dst)
	if err != nil {
		return "", "", fmt.Errorf("--dst %q: %w", dst, err)
	}
	if a == b {
		return "", "", fmt.Errorf("--src and --dst are both %s: a swap is between two chains", a)
	}
	return a, b, nil
}

func checkMargin(margin time.Duration) error {
	if margin < minMargin {
		return fmt.Errorf("--margin %s is unsafe: below %s there is no room for block times and clock skew between the chains", margin, minMargin)
	}
	return nil
}

// listSwaps prints every swap in the state directory, as the files have them.
func listSwaps(cmd *cobra.Command, f *swapFlags) error {
	dir, err := f.dir()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	all := []swapState{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		var st swapState
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		st.Preimage = nil
		all = append(all, st)
	}
	if f.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(all)
	}
	if len(all) == 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "no swaps in %s\n", dir)
	}
	for _, st := range all {
		steps := []string{}
		for _, step := range []string{"lock", "claim", "refund"} {
			if _, ok := st.Txs[step]; ok {
				steps = append(steps, step)
			} else if _, ok := st.Pending[step]; ok {
				steps = append(steps, step+"(sent)")
			}
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s  %-5s  %s -> %s  %s\n", st.Hashlock, st.Role, st.Src, st.Dst, strings.Join(steps, ","))
	}
	return nil
}
