package main

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/htlc"
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
