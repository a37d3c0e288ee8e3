package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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

// aspen swap runs a two-party atomic swap of native coins between two
// subnets with the HTLC contract (htlc.Address) on each:
//
//	maker: offer   lock GIVE on SRC for the taker under sha256(secret), timeout T_A
//	taker: take    check the offer, lock WANT on DST for the maker, same hashlock, T_B
//	               with now + margin <= T_B <= T_A - margin
//	maker: claim   find the counter-lock on DST, check it, claim it (revealing the secret)
//	taker: claim   read the secret from DST's swap, claim on SRC before T_A
//	either: refund take back one's own lock once its timeout passed
//
// Each party keeps its side in a file under --state-dir (default
// HOME/swaps), named by the hashlock and written before every transaction,
// so any command can be run again after Ctrl-C: it looks at the chains and
// goes on from where the swap stands.

// minMargin is the least margin the commands accept between the two
// timeouts: blocks of both chains, clock skew between their proposers and
// the time to see one chain and act on the other all have to fit in it.
const minMargin = 5 * time.Second

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

func swapCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "swap",
		Short: "Swap coins between two subnets atomically with hash-time-locked contracts",
		Long: "swap runs a two-party exchange through the HTLC contract " + htlc.Address.Hex() + " on each chain:\n" +
			"  maker: aspen swap offer --src A --dst B --give X --want Y --taker 0xTAKER   (locks X on A)\n" +
			"  taker: aspen swap take SRCID --src A --dst B --give Y --want X              (locks Y on B, earlier timeout)\n" +
			"  maker: aspen swap claim HASHLOCK   (waits for the taker's lock, claims Y on B, revealing the secret)\n" +
			"  taker: aspen swap claim HASHLOCK   (waits for the secret on B, claims X on A)\n" +
			"  either: aspen swap refund HASHLOCK (after its own lock's timeout, if the swap did not happen)\n" +
			"Every command can be run again after Ctrl-C: the swap's state is in --state-dir (default HOME/swaps).",
	}
	cmd.AddCommand(swapOfferCmd(), swapTakeCmd(), swapClaimCmd(), swapRefundCmd(), swapStatusCmd())
	return cmd
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

func swapOfferCmd() *cobra.Command {
	var f swapFlags
	var src, dst, give, want, taker string
	var timeout, margin time.Duration
	cmd := &cobra.Command{
		Use:   "offer --src A --dst B --give COINS --want COINS --taker 0xADDRESS",
		Short: "Maker: lock coins on A for the taker under a fresh secret's hash",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, b, err := parseChains(src, dst)
			if err != nil {
				return err
			}
			if !common.IsHexAddress(taker) {
				return fmt.Errorf("--taker %q is not an address; give 0x and 40 hex digits", taker)
			}
			giveWei, err := parseCoins(give)
			if err != nil {
				return fmt.Errorf("--give: %w", err)
			}
			wantWei, err := parseCoins(want)
			if err != nil {
				return fmt.Errorf("--want: %w", err)
			}
			if giveWei.Sign() == 0 || wantWei.Sign() == 0 {
				return errors.New("--give and --want must be more than 0")
			}
			if err := checkMargin(margin); err != nil {
				return err
			}
			if timeout < 3*margin {
				return fmt.Errorf("--timeout %s is unsafe with --margin %s: the taker's lock must start at least a margin from now and end a margin before yours, so give at least %s", timeout, margin, 3*margin)
			}
			s, done, err := newSession(cmd, &f)
			if err != nil {
				return err
			}
			defer done()
			me, err := s.me()
			if err != nil {
				return err
			}
			cb, err := s.chain(b)
			if err != nil {
				return err
			}
			from, err := cb.eth.BlockNumber(s.ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", b, err)
			}
			var pre common.Hash
			if _, err := rand.Read(pre[:]); err != nil {
				return err
			}
			st := &swapState{Role: "maker", Hashlock: sha256.Sum256(pre[:]), Preimage: &pre, Src: a, Dst: b, Maker: me,
				Taker: common.HexToAddress(taker), Give: giveWei, Want: wantWei, MarginSec: uint64(margin / time.Second),
				SrcTimeout: now() + uint64(timeout/time.Second), DstFrom: from}
			if err := s.create(st); err != nil { // the secret is on disk before any coin moves
				return err
			}
			tx, err := s.transact("lock", a, giveWei, "lock", [32]byte(st.Hashlock), st.Taker, st.SrcTimeout)
			if err != nil {
				return err
			}
			ca, _ := s.chain(a)
			if st.SrcID, err = lockedID(ca, tx); err != nil {
				return err
			}
			if err := s.save(); err != nil {
				return err
			}
			return s.print("Offered %s coins on %s to %s for %s coins on %s\n  id        %s\n  hashlock  %s\n  timeout   %s\n  the taker runs: aspen swap take %s --src %s --dst %s --give %s --want %s\n  then you run:   aspen swap claim %s",
				give, a, st.Taker, want, b, st.SrcID, st.Hashlock, time.Unix(int64(st.SrcTimeout), 0).UTC().Format(time.RFC3339),
				st.SrcID, a, b, want, give, st.Hashlock)
		},
	}
	f.register(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&src, "src", "", "the chain you lock on (required)")
	fl.StringVar(&dst, "dst", "", "the chain the taker locks on (required)")
	fl.StringVar(&give, "give", "", "coins you lock on --src (required)")
	fl.StringVar(&want, "want", "", "coins you want on --dst (required)")
	fl.StringVar(&taker, "taker", "", "the taker's account, the same on both chains (required)")
	fl.DurationVar(&timeout, "lock-time", 30*time.Minute, "how long your lock holds before you may refund it")
	fl.DurationVar(&margin, "margin", 2*time.Minute, "the least time between the taker's timeout and yours")
	for _, n := range []string{"src", "dst", "give", "want", "taker"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func swapTakeCmd() *cobra.Command {
	var f swapFlags
	var src, dst, give, want string
	var timeout, margin time.Duration
	cmd := &cobra.Command{
		Use:   "take SRCID --src A --dst B --give COINS --want COINS",
		Short: "Taker: check the maker's lock on A and lock coins on B for the maker, under the same hash and an earlier timeout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isHash(args[0]) {
				return fmt.Errorf("%q is not a swap id (0x and 64 hex digits, as offer prints)", args[0])
			}
			id := common.HexToHash(args[0])
			a, b, err := parseChains(src, dst)
			if err != nil {
				return err
			}
			giveWei, err := parseCoins(give)
			if err != nil {
				return fmt.Errorf("--give: %w", err)
			}
			wantWei, err := parseCoins(want)
			if err != nil {
				return fmt.Errorf("--want: %w", err)
			}
			if err := checkMargin(margin); err != nil {
				return err
			}
			s, done, err := newSession(cmd, &f)
			if err != nil {
				return err
			}
			defer done()
			me, err := s.me()
			if err != nil {
				return err
			}
			offer, err := s.read(a, id)
			if err != nil {
				return err
			}
			switch {
			case offer.Status != htlc.StatusLocked:
				return fmt.Errorf("swap %s on %s is %s, not an open offer", id, a, offer.Status)
			case offer.Recipient != me:
				return fmt.Errorf("swap %s on %s pays %s, not you (%s)", id, a, offer.Recipient, me)
			case offer.Token != (common.Address{}):
				return fmt.Errorf("swap %s on %s locks token %s; aspen swap trades native coins only", id, a, offer.Token)
			case offer.Amount.Cmp(wantWei) < 0:
				return fmt.Errorf("swap %s on %s locks %s coins, less than the %s you --want", id, a, formatCoins(offer.Amount), want)
			}
			m := uint64(margin / time.Second)
			dstTimeout, err := counterLockTimeout(offer.Timeout, now(), uint64(timeout/time.Second), m)
			if err != nil {
				return fmt.Errorf("%w (your lock on %s, the maker's on %s)", err, b, a)
			}
			st := &swapState{Role: "taker", Hashlock: offer.Hashlock, Src: a, Dst: b, Maker: offer.Sender, Taker: me,
				Give: offer.Amount, Want: giveWei, MarginSec: m, SrcID: id, SrcTimeout: offer.Timeout, DstTimeout: dstTimeout}
			if err := s.create(st); err != nil {
				return err
			}
			tx, err := s.transact("lock", b, giveWei, "lock", [32]byte(st.Hashlock), st.Maker, dstTimeout)
			if err != nil {
				return err
			}
			cb, _ := s.chain(b)
			if st.DstID, err = lockedID(cb, tx); err != nil {
				return err
			}
			if err := s.save(); err != nil {
				return err
			}
			return s.print("Locked %s coins on %s for %s, until %s (the maker's lock on %s ends %s later)\n  id        %s\n  next:     aspen swap claim %s   (waits for the maker to reveal the secret)",
				give, b, st.Maker, time.Unix(int64(dstTimeout), 0).UTC().Format(time.RFC3339), a, time.Duration(offer.Timeout-dstTimeout)*time.Second, st.DstID, st.Hashlock)
		},
	}
	f.register(cmd, false)
	fl := cmd.Flags()
	fl.StringVar(&src, "src", "", "the chain the maker locked on (required)")
	fl.StringVar(&dst, "dst", "", "the chain you lock on (required)")
	fl.StringVar(&give, "give", "", "coins you lock on --dst (required)")
	fl.StringVar(&want, "want", "", "coins the maker's lock must hold (required)")
	fl.DurationVar(&timeout, "lock-time", 0, "how long your lock holds (default: half the time the maker's has left)")
	fl.DurationVar(&margin, "margin", 2*time.Minute, "the least time between your timeout and the maker's")
	for _, n := range []string{"src", "dst", "give", "want"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

// errUnsafeTimeouts: a counter-lock's timeout leaves one party too little time.
var errUnsafeTimeouts = errors.New("unsafe timeouts")

// counterLockTimeout is the taker's timeout against an offer timing out at
// offer, at time t: lockTime seconds from t, or halfway to the offer's
// timeout when lockTime is 0. It must end at least margin before the offer
// (once the maker claims the counter-lock, the taker needs that long to
// claim the offer) and at least margin after t (the maker needs time to
// claim).
func counterLockTimeout(offer, t, lockTime, margin uint64) (uint64, error) {
	if offer <= t {
		return 0, fmt.Errorf("%w: the offer timed out at %d already", errUnsafeTimeouts, offer)
	}
	mine := t + (offer-t)/2
	if lockTime > 0 {
		mine = t + lockTime
	}
	if mine+margin > offer {
		return 0, fmt.Errorf("%w: yours would end at %d, %ds before the offer's %d, less than the margin of %ds; once the maker claims yours you need that long to claim theirs: ask for a longer offer or give a shorter --lock-time",
			errUnsafeTimeouts, mine, int64(offer)-int64(mine), offer, margin)
	}
	if mine < t+margin {
		return 0, fmt.Errorf("%w: yours would end in %ds, less than the margin of %ds, leaving the maker no time to claim it; the offer ends too soon (at %d)",
			errUnsafeTimeouts, mine-t, margin, offer)
	}
	return mine, nil
}

func swapClaimCmd() *cobra.Command {
	var f swapFlags
	cmd := &cobra.Command{
		Use:   "claim HASHLOCK|SRCID",
		Short: "Claim what the other party locked: the maker on B (revealing the secret), the taker on A (with it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, done, err := newSession(cmd, &f)
			if err != nil {
				return err
			}
			defer done()
			if err := s.load(args[0]); err != nil {
				return err
			}
			if s.st.Role == "maker" {
				return s.makerClaim()
			}
			return s.takerClaim()
		},
	}
	f.register(cmd, true)
	return cmd
}

// makerClaim finds and checks the taker's lock on dst and claims it.
func (s *session) makerClaim() error {
	st := s.st
	if _, ok := st.Txs["claim"]; ok {
		return s.print("Claimed already in %s", st.Txs["claim"].Tx)
	}
	if tx, err := s.recover("claim", st.Dst); err != nil || tx != nil {
		if err != nil {
			return err
		}
		return s.print("Claimed %s coins on %s in %s", formatCoins(st.Want), st.Dst, tx.Hash)
	}
	if st.DstID == (common.Hash{}) {
		if err := s.poll("lock by the taker on "+string(st.Dst), s.findCounterLock); err != nil {
			return err
		}
	}
	sw, err := s.read(st.Dst, st.DstID)
	if err != nil {
		return err
	}
	guard := st.MarginSec / 2
	switch {
	case sw.Status == htlc.StatusClaimed:
		return s.print("The taker's lock %s on %s was claimed already", st.DstID, st.Dst)
	case sw.Status != htlc.StatusLocked:
		return fmt.Errorf("the taker's lock %s on %s is %s; refund yours after %d with aspen swap refund %s", st.DstID, st.Dst, sw.Status, st.SrcTimeout, st.Hashlock)
	case sw.Recipient != st.Maker || sw.Hashlock != st.Hashlock || sw.Token != (common.Address{}):
		return fmt.Errorf("the lock %s on %s is not for this swap (recipient %s, hashlock %s)", st.DstID, st.Dst, sw.Recipient, sw.Hashlock)
	case sw.Amount.Cmp(st.Want) < 0:
		return fmt.Errorf("the taker locked %s coins on %s, less than the %s you want; do not claim, refund yours after its timeout", formatCoins(sw.Amount), st.Dst, formatCoins(st.Want))
	case now()+guard >= sw.Timeout:
		// A claim included after the timeout fails but still publishes the
		// secret, with which the taker could then claim on src.
		return fmt.Errorf("the taker's lock on %s ends at %d, less than %ds from now: too late to reveal the secret safely; refund yours after %d", st.Dst, sw.Timeout, guard, st.SrcTimeout)
	}
	st.DstTimeout = sw.Timeout
	tx, err := s.transact("claim", st.Dst, nil, "claim", [32]byte(st.DstID), [32]byte(*st.Preimage))
	if err != nil {
		return err
	}
	return s.print("Claimed %s coins on %s (the secret is public now)\n  tx  %s (block %d)", formatCoins(sw.Amount), st.Dst, tx.Hash, tx.Receipt.BlockNumber)
}

// findCounterLock looks on dst for a Locked to the maker under the swap's
// hashlock; it sets DstID when it finds one.
func (s *session) findCounterLock() (bool, error) {
	st := s.st
	c, err := s.chain(st.Dst)
	if err != nil {
		return false, err
	}
	ev := c.h.ABI().Events["Locked"]
	logs, err := c.eth.FilterLogs(s.ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(st.DstFrom), Addresses: []common.Address{htlc.Address},
		Topics: [][]common.Hash{{ev.ID}, nil, nil, {common.BytesToHash(st.Maker.Bytes())}},
	})
	if err != nil {
		return false, err
	}
	for _, l := range logs {
		vals := map[string]any{}
		if len(l.Topics) < 2 || ev.Inputs.NonIndexed().UnpackIntoMap(vals, l.Data) != nil {
			continue
		}
		if hl, _ := vals["hashlock"].([32]byte); common.Hash(hl) == st.Hashlock {
			st.DstID = l.Topics[1]
			return true, s.save()
		}
	}
	return false, nil
}

// takerClaim waits for the maker's claim on dst and claims on src with
// the secret it revealed.
func (s *session) takerClaim() error {
	st := s.st
	if _, ok := st.Txs["claim"]; ok {
		return s.print("Claimed already in %s", st.Txs["claim"].Tx)
	}
	if tx, err := s.recover("claim", st.Src); err != nil || tx != nil {
		if err != nil {
			return err
		}
		return s.print("Claimed %s coins on %s in %s", formatCoins(st.Give), st.Src, tx.Hash)
	}
	if st.Preimage == nil {
		err := s.poll("secret revealed on "+string(st.Dst), func() (bool, error) {
			sw, err := s.read(st.Dst, st.DstID)
			if err != nil {
				return false, err
			}
			switch sw.Status {
			case htlc.StatusClaimed:
				if sha256.Sum256(sw.Preimage[:]) != st.Hashlock {
					return false, fmt.Errorf("swap %s on %s shows a preimage that does not hash to %s", st.DstID, st.Dst, st.Hashlock)
				}
				pre := sw.Preimage
				st.Preimage = &pre
				return true, s.save()
			case htlc.StatusRefunded:
				return false, fmt.Errorf("your lock %s on %s was refunded: the swap did not happen", st.DstID, st.Dst)
			}
			if now() >= st.DstTimeout {
				return false, fmt.Errorf("the maker did not claim your lock on %s before its timeout; take your coins back with aspen swap refund %s", st.Dst, st.Hashlock)
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	if t := now(); t >= st.SrcTimeout {
		return fmt.Errorf("the maker's lock on %s timed out at %d (now %d): too late to claim it", st.Src, st.SrcTimeout, t)
	}
	tx, err := s.transact("claim", st.Src, nil, "claim", [32]byte(st.SrcID), [32]byte(*st.Preimage))
	if err != nil {
		return err
	}
	return s.print("Claimed %s coins on %s\n  tx  %s (block %d)", formatCoins(st.Give), st.Src, tx.Hash, tx.Receipt.BlockNumber)
}

func swapRefundCmd() *cobra.Command {
	var f swapFlags
	cmd := &cobra.Command{
		Use:   "refund HASHLOCK|SRCID",
		Short: "Take back your own lock once its timeout passed (waits for it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, done, err := newSession(cmd, &f)
			if err != nil {
				return err
			}
			defer done()
			if err := s.load(args[0]); err != nil {
				return err
			}
			st := s.st
			chain, id, timeout := st.Src, st.SrcID, st.SrcTimeout
			if st.Role == "taker" {
				chain, id, timeout = st.Dst, st.DstID, st.DstTimeout
			}
			if _, ok := st.Txs["refund"]; ok {
				return s.print("Refunded already in %s", st.Txs["refund"].Tx)
			}
			if tx, err := s.recover("refund", chain); err != nil || tx != nil {
				if err != nil {
					return err
				}
				return s.print("Refunded on %s in %s", chain, tx.Hash)
			}
			sw, err := s.read(chain, id)
			if err != nil {
				return err
			}
			switch sw.Status {
			case htlc.StatusClaimed:
				return fmt.Errorf("your lock %s on %s was claimed: the swap happened; claim your side with aspen swap claim %s", id, chain, st.Hashlock)
			case htlc.StatusRefunded:
				return s.print("Your lock %s on %s was refunded already", id, chain)
			}
			if err := s.poll(fmt.Sprintf("timeout of your lock on %s (%d)", chain, timeout), func() (bool, error) { return now() >= timeout, nil }); err != nil {
				return err
			}
			// The contract compares with block time: an idle chain's next
			// block may come only with a transaction, so poke it with one.
			var tx *client.SentTx
			err = s.poll("a block of "+string(chain)+" past the timeout", func() (bool, error) {
				tx, err = s.transact("refund", chain, nil, "refund", [32]byte(id))
				if err != nil && strings.Contains(err.Error(), "has not timed out") {
					_, perr := s.transact("poke", chain, nil, "swap", [32]byte(id))
					return false, perr
				}
				return err == nil, err
			})
			if err != nil {
				return err
			}
			return s.print("Refunded %s coins on %s\n  tx  %s (block %d)", formatCoins(sw.Amount), chain, tx.Hash, tx.Receipt.BlockNumber)
		},
	}
	f.register(cmd, true)
	return cmd
}

func swapStatusCmd() *cobra.Command {
	var f swapFlags
	cmd := &cobra.Command{
		Use:   "status [HASHLOCK|SRCID]",
		Short: "Show a swap: your state file and both locks as the chains have them; without an argument, list your swaps",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listSwaps(cmd, &f)
			}
			s, done, err := newSession(cmd, &f)
			if err != nil {
				return err
			}
			defer done()
			if err := s.load(args[0]); err != nil {
				return err
			}
			st := s.st
			for _, step := range []string{"claim", "refund"} {
				chain := st.Src
				if (st.Role == "taker") != (step == "claim") {
					chain = st.Dst
				}
				if _, err := s.recover(step, chain); err != nil {
					return err
				}
			}
			if sw, err := s.read(st.Src, st.SrcID); err == nil && st.SrcID != (common.Hash{}) {
				st.SrcStatus = sw.Status.String()
			}
			if st.Role == "maker" && st.DstID == (common.Hash{}) {
				if _, err := s.findCounterLock(); err != nil {
					return err
				}
			}
			if st.DstID != (common.Hash{}) {
				if sw, err := s.read(st.Dst, st.DstID); err == nil {
					st.DstStatus = sw.Status.String()
				}
			} else {
				st.DstStatus = "waiting for the taker"
			}
			return s.print("swap %s (you are the %s)\n  %-20s maker's lock  %s  %s coins  until %d  %s\n  %-20s taker's lock  %s  %s coins  until %d  %s",
				st.Hashlock, st.Role, st.Src, st.SrcID, formatCoins(st.Give), st.SrcTimeout, st.SrcStatus,
				st.Dst, st.DstID, formatCoins(st.Want), st.DstTimeout, st.DstStatus)
		},
	}
	f.register(cmd, false)
	return cmd
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
