package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/node"
	"github.com/aspen-chain/aspen/types"
)

// aspen atomic runs atomic plans (CROSSNET.md, "Atomic plans"): legs on
// several subnets that all pay out or none does, coordinated by the gateway
// of their lowest common ancestor.

// planFile is PLAN.json.
type planFile struct {
	// Deadline is in blocks of the mediator (the legs' lowest common
	// ancestor): votes that arrive later do not count.
	Deadline uint64 `json:"deadline"`
	Legs     []struct {
		Subnet string `json:"subnet"`
		To     string `json:"to"`
		Value  string `json:"value"` // coins, e.g. "1.5"; "" or "0" for none
		Data   string `json:"data"`  // 0x-prefixed participant data; "" for a plain value leg
	} `json:"legs"`
}

// readPlan parses PLAN.json into the gateway's legs, their mediator and
// the total value to send.
func readPlan(path string) (legs []gateway.AtomicLeg, mediator types.SubnetID, deadline uint64, total *big.Int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", 0, nil, err
	}
	var p planFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, "", 0, nil, fmt.Errorf("%s: %w (see docs/examples/ for plan files)", path, err)
	}
	if len(p.Legs) == 0 {
		return nil, "", 0, nil, fmt.Errorf("%s: no legs", path)
	}
	if p.Deadline == 0 {
		return nil, "", 0, nil, fmt.Errorf("%s: give \"deadline\", in blocks of the mediator", path)
	}
	total = new(big.Int)
	for i, l := range p.Legs {
		id, err := types.ParseSubnetID(l.Subnet)
		if err != nil {
			return nil, "", 0, nil, fmt.Errorf("%s: leg %d: %w", path, i, err)
		}
		if i == 0 {
			mediator = id
		} else if mediator, _ = mediator.CommonAncestor(id); mediator == "" {
			return nil, "", 0, nil, fmt.Errorf("%s: leg %d: %s is in another network than leg 0", path, i, id)
		}
		if !common.IsHexAddress(l.To) {
			return nil, "", 0, nil, fmt.Errorf("%s: leg %d: \"to\" %q is not an address", path, i, l.To)
		}
		v := new(big.Int)
		if l.Value != "" {
			if v, err = parseCoins(l.Value); err != nil {
				return nil, "", 0, nil, fmt.Errorf("%s: leg %d: value: %w", path, i, err)
			}
		}
		data := []byte{}
		if l.Data != "" {
			if data, err = hexutil.Decode(l.Data); err != nil {
				return nil, "", 0, nil, fmt.Errorf("%s: leg %d: data %q is not 0x-prefixed hex: %w", path, i, l.Data, err)
			}
		}
		total.Add(total, v)
		legs = append(legs, gateway.AtomicLeg{Subnet: string(id), To: common.HexToAddress(l.To), Value: v, Data: data})
	}
	return legs, mediator, p.Deadline, total, nil
}

func atomicCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "atomic",
		Short: "Run atomic plans: payments and calls on several subnets that all happen or none does",
		Long: "A plan (PLAN.json, see docs/examples/) lists legs, each a subnet, a recipient or participant contract,\n" +
			"a value and optional participant data, and a deadline in blocks of the legs' lowest common ancestor,\n" +
			"which mediates: every leg's subnet escrows its value and votes; the mediator commits only if every\n" +
			"leg voted yes before the deadline, and every leg then pays out, or returns the escrow to you.",
	}
	cmd.AddCommand(atomicSubmitCmd(), atomicStatusCmd(), atomicDecideCmd())
	return cmd
}

func atomicSubmitCmd() *cobra.Command {
	var f gwFlags
	var noWait bool
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "submit PLAN.json",
		Short: "Submit a plan on its mediator, decide it when the votes are in or the deadline passed, and wait for every leg",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			legs, mediator, deadline, total, err := readPlan(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			start := time.Now()
			g, _, err := chainGateway(ctx, cmd, &f, mediator, true)
			if err != nil {
				return err
			}
			defer g.Close()
			tx, err := g.Transact(ctx, "atomicSubmit", total, legs, deadline)
			if err != nil {
				return err
			}
			_, topics, ok := g.Event(tx.Receipt, "AtomicSubmitted")
			if !ok || len(topics) == 0 {
				return fmt.Errorf("atomicSubmit: transaction %s emitted no AtomicSubmitted event", tx.Hash)
			}
			id := topics[0]
			atomicProgress(cmd, &f, "submitted plan %s on %s (tx %s, block %d, gas %d)\n", id, mediator, tx.Hash, tx.Receipt.BlockNumber, tx.Receipt.GasUsed)
			if noWait {
				return printAtomic(cmd, &f, atomicResult{ID: id, Mediator: string(mediator), Status: "preparing", SubmitGas: tx.Receipt.GasUsed})
			}
			res, err := runPlan(ctx, cmd, &f, g, mediator, id, len(legs))
			if err != nil {
				return fmt.Errorf("plan %s: %w (aspen atomic status %s follows it)", id, err, id)
			}
			res.SubmitGas = tx.Receipt.GasUsed
			res.ElapsedMs = time.Since(start).Milliseconds()
			return printAtomic(cmd, &f, res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "only submit; do not decide or wait for the legs")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait for the plan to finish")
	return cmd
}

// atomicResult is what submit and status print with --json.
type atomicResult struct {
	ID        common.Hash `json:"id"`
	Mediator  string      `json:"mediator"`
	Status    string      `json:"status"`
	Deadline  uint64      `json:"deadline,omitempty"`
	Legs      []legResult `json:"legs"`
	SubmitGas uint64      `json:"submitGas,omitempty"`
	DecideGas uint64      `json:"decideGas,omitempty"`
	ElapsedMs int64       `json:"elapsedMs,omitempty"` // submit to every leg finished
}

type legResult struct {
	Subnet string         `json:"subnet"`
	To     common.Address `json:"to"`
	Value  string         `json:"value"` // coins
	Vote   string         `json:"vote"`
	State  string         `json:"state"`
}

// runPlan waits for the votes (or the deadline), decides, and waits until
// every leg applied the decision.
func runPlan(ctx context.Context, cmd *cobra.Command, f *gwFlags, g *client.Gateway, mediator types.SubnetID, id common.Hash, n int) (atomicResult, error) {
	res := atomicResult{ID: id, Mediator: string(mediator)}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	raw, err := gethrpc.DialContext(ctx, g.URL())
	if err != nil {
		return res, client.RPCError(g.URL(), f.home, err)
	}
	defer raw.Close()
	legGW := map[string]*client.Gateway{}
	defer func() {
		for _, lg := range legGW {
			lg.Close()
		}
	}()
	for {
		out, err := g.Call(ctx, "atomicPlan", id)
		if err != nil {
			return res, err
		}
		status, deadline, subnets, targets, values, votes := out[0].(uint8), out[2].(uint64), out[4].([]string), out[5].([]common.Address), out[6].([]*big.Int), out[7].([]uint8)
		res.Status, res.Deadline, res.Legs = gateway.AtomicStatus(status).String(), deadline, nil
		for i := range subnets {
			res.Legs = append(res.Legs, legResult{Subnet: subnets[i], To: targets[i], Value: formatCoins(values[i]), Vote: gateway.AtomicVote(votes[i]).String()})
		}
		if gateway.AtomicStatus(status) == gateway.AtomicPreparing {
			if ready(votes) || pastDeadline(ctx, raw, deadline) {
				tx, err := g.Transact(ctx, "atomicDecide", new(big.Int), id)
				switch {
				case err != nil && strings.Contains(err.Error(), "waits for the votes"):
					// The deadline is this block: the next one can decide.
				case err != nil && !strings.Contains(err.Error(), "already"):
					return res, err
				}
				if err == nil {
					res.DecideGas = tx.Receipt.GasUsed
					atomicProgress(cmd, f, "decided at block %d (gas %d)\n", tx.Receipt.BlockNumber, tx.Receipt.GasUsed)
					continue
				}
			}
		} else {
			done := 0
			for i := range res.Legs {
				sub := res.Legs[i].Subnet
				lg := legGW[sub]
				if lg == nil {
					if lg, _, err = chainGateway(ctx, cmd, f, types.SubnetID(sub), false); err != nil {
						return res, err
					}
					legGW[sub] = lg
				}
				lo, err := lg.Call(ctx, "atomicLeg", string(mediator), id, uint64(i))
				if err != nil {
					return res, err
				}
				st := gateway.LegState(lo[0].(uint8))
				res.Legs[i].State = st.String()
				if st != gateway.LegUnknown && st != gateway.LegPrepared {
					done++
				}
			}
			if done == n {
				return res, nil
			}
		}
		select {
		case <-ctx.Done():
			return res, errors.New("gave up waiting (--wait)")
		case <-tick.C:
		}
	}
}

// ready: every vote is in and yes, or one is no — the plan can be decided.
func ready(votes []uint8) bool {
	all := true
	for _, v := range votes {
		if gateway.AtomicVote(v) == gateway.VoteNo {
			return true
		}
		all = all && gateway.AtomicVote(v) == gateway.VoteYes
	}
	return all
}

// pastDeadline: the mediator's next block is past the plan's deadline.
func pastDeadline(ctx context.Context, c *gethrpc.Client, deadline uint64) bool {
	var h hexutil.Uint64
	if err := c.CallContext(ctx, &h, "eth_blockNumber"); err != nil {
		return false
	}
	return uint64(h) >= deadline
}

func atomicProgress(cmd *cobra.Command, f *gwFlags, format string, args ...any) {
	if !f.asJSON {
		fmt.Fprintf(cmd.ErrOrStderr(), format, args...)
	}
}

func printAtomic(cmd *cobra.Command, f *gwFlags, r atomicResult) error {
	if f.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "plan %s on %s: %s", r.ID, r.Mediator, r.Status)
	if r.Deadline > 0 {
		fmt.Fprintf(w, " (deadline block %d)", r.Deadline)
	}
	if r.ElapsedMs > 0 {
		fmt.Fprintf(w, ", every leg finished %s after submit", time.Duration(r.ElapsedMs)*time.Millisecond)
	}
	fmt.Fprintln(w)
	for i, l := range r.Legs {
		state := l.State
		if state == "" {
			state = "?"
		}
		fmt.Fprintf(w, "  leg %d  %-20s %s coins to %s  vote %-4s  %s\n", i, l.Subnet, l.Value, l.To, l.Vote, state)
	}
	return nil
}

func atomicStatusCmd() *cobra.Command {
	var f gwFlags
	cmd := &cobra.Command{
		Use:   "status ID",
		Short: "Show a plan and each leg's progress (aspen_getAtomic of the node)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := hexutil.Decode(args[0])
			if err != nil || len(raw) != 32 {
				return fmt.Errorf("%q is not a plan ID (0x and 64 hex digits, as submit prints)", args[0])
			}
			cfg, err := f.node()
			if err != nil {
				return err
			}
			base, err := f.chainURL(cfg, "")
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := gethrpc.DialContext(ctx, base)
			if err != nil {
				return client.RPCError(base, f.home, err)
			}
			defer c.Close()
			var st node.AtomicStatus
			if err := c.CallContext(ctx, &st, "aspen_getAtomic", common.BytesToHash(raw)); err != nil {
				return client.RPCError(base, f.home, err)
			}
			r := atomicResult{ID: st.ID, Mediator: st.Mediator, Status: st.Status, Deadline: uint64(st.Deadline)}
			for _, l := range st.Legs {
				r.Legs = append(r.Legs, legResult{Subnet: l.Subnet, To: l.To, Value: formatCoins((*big.Int)(l.Value)), Vote: l.Vote, State: l.State})
			}
			return printAtomic(cmd, &f, r)
		},
	}
	f.register(cmd, false)
	return cmd
}

func atomicDecideCmd() *cobra.Command {
	var f gwFlags
	var mediator string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "decide ID --mediator SUBNET",
		Short: "Decide a submitted plan (anyone may) once its votes are in or its deadline passed, and wait for every leg",
		Long: "decide is what submit does after submitting, for a plan whose submitter stopped waiting (Ctrl-C,\n" +
			"--no-wait): it waits for the votes or the deadline, decides, and waits until every leg finished.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := hexutil.Decode(args[0])
			if err != nil || len(raw) != 32 {
				return fmt.Errorf("%q is not a plan ID (0x and 64 hex digits, as submit prints)", args[0])
			}
			m, err := types.ParseSubnetID(mediator)
			if err != nil {
				return fmt.Errorf("--mediator %q: %w", mediator, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			g, _, err := chainGateway(ctx, cmd, &f, m, true)
			if err != nil {
				return err
			}
			defer g.Close()
			id := common.BytesToHash(raw)
			out, err := g.Call(ctx, "atomicPlan", id)
			if err != nil {
				return err
			}
			if gateway.AtomicStatus(out[0].(uint8)) == gateway.AtomicNone {
				return fmt.Errorf("%s has no plan %s (the mediator is the legs' lowest common ancestor)", m, id)
			}
			start := time.Now()
			res, err := runPlan(ctx, cmd, &f, g, m, id, len(out[4].([]string)))
			if err != nil {
				return fmt.Errorf("plan %s: %w", id, err)
			}
			res.ElapsedMs = time.Since(start).Milliseconds()
			return printAtomic(cmd, &f, res)
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&mediator, "mediator", "", "the subnet the plan was submitted on (required)")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait for the plan to finish")
	_ = cmd.MarkFlagRequired("mediator")
	return cmd
}
