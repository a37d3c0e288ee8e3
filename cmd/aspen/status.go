package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/node"
)

// statusFlags are the flags of `aspen status`.
type statusFlags struct {
	home, rpcURL string
	asJSON       bool
	watch        bool
	every        time.Duration
}

func statusCmd() *cobra.Command {
	var f statusFlags
	cmd := &cobra.Command{
		Use:   "status [--home DIR | --rpc URL] [--json] [--watch]",
		Short: "Show the tree of subnets a node sees: heights, peers, checkpoints, what lags",
		Long: "status asks a running node (aspen_tree, aspen_nodeInfo) for every subnet it serves or its\n" +
			"chains' gateways record, and flags subnets whose blocks stalled or whose checkpoints lag.\n" +
			"--watch redraws it until interrupted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			base, err := f.base()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c, err := gethrpc.DialContext(ctx, base)
			if err != nil {
				return fmt.Errorf("dial %s: %w", base, err)
			}
			defer c.Close()
			out := cmd.OutOrStdout()
			tty := isTerminal(out)
			for {
				st, err := readStatus(ctx, c, base, time.Now())
				switch {
				case err != nil && !f.watch:
					return fmt.Errorf("%s: %w (is the node running?)", base, err)
				case err != nil:
					fmt.Fprintf(out, "%s  %s: %v\n", time.Now().Format(time.TimeOnly), base, err)
				case f.asJSON:
					if err := json.NewEncoder(out).Encode(st); err != nil {
						return err
					}
				default:
					if f.watch && tty {
						fmt.Fprint(out, "\033[H\033[2J") // redraw in place on a terminal
					}
					st.print(out, base)
				}
				if !f.watch {
					if err == nil && st.hasFlags() {
						return exitError{code: 2} // scripts see a lagging tree
					}
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(f.every):
				}
			}
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.home, "home", "", "a node's home: its rpc.listen is the endpoint")
	fl.StringVar(&f.rpcURL, "rpc", "", "the node's RPC URL, http://HOST:PORT")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON (one object per refresh with --watch)")
	fl.BoolVar(&f.watch, "watch", false, "refresh until interrupted")
	fl.DurationVar(&f.every, "every", 2*time.Second, "time between refreshes with --watch")
	return cmd
}

func (f *statusFlags) base() (string, error) {
	g := gwFlags{home: f.home, rpcURL: f.rpcURL}
	cfg, err := g.node()
	if err != nil {
		return "", err
	}
	if f.every <= 0 {
		return "", errors.New("--every must be positive, e.g. 2s")
	}
	return g.chainURL(cfg, "")
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// subnetStatus is one line of `aspen status`.
type subnetStatus struct {
	node.TreeSubnet
	Peers int `json:"peers"`
	// CheckpointAgeSeconds is the age of the child block the parent's last
	// checkpoint covers; absent when unknown.
	CheckpointAgeSeconds *float64 `json:"checkpointAgeSeconds,omitempty"`
	CheckpointLagBlocks  *uint64  `json:"checkpointLagBlocks,omitempty"`
	Flags                []string `json:"flags"`
}

// treeStatus is what `aspen status` shows.
type treeStatus struct {
	PeerID  string         `json:"peerId"`
	Peers   int            `json:"peers"`
	Subnets []subnetStatus `json:"subnets"`
}

func (s *treeStatus) hasFlags() bool {
	for _, x := range s.Subnets {
		if len(x.Flags) > 0 {
			return true
		}
	}
	return false
}

// Thresholds of the flags. The root keeps its block time; an idle child
// rests and makes a heartbeat block every 30 s.
const (
	rootStallBlocks = 20               // block times without a block before the root is stalled
	minRootStall    = 10 * time.Second // however short its block time
	childStall      = 90 * time.Second // three heartbeats
	lagPeriods      = 3                // checkpoint periods behind before a child lags
)

func readStatus(ctx context.Context, c *gethrpc.Client, base string, now time.Time) (*treeStatus, error) {
	var tree []node.TreeSubnet
	if err := c.CallContext(ctx, &tree, "aspen_tree"); err != nil {
		return nil, err
	}
	var info node.NodeInfo
	if err := c.CallContext(ctx, &info, "aspen_nodeInfo"); err != nil {
		return nil, err
	}
	ckptTime := map[string]uint64{}
	for _, s := range tree {
		if !s.Served || s.LastCheckpointHeight == nil || *s.LastCheckpointHeight == 0 {
			continue
		}
		var hdr struct {
			Timestamp hexutil.Uint64 `json:"timestamp"`
		}
		// The child's own block at the checkpoint's height: its age is the
		// checkpoint's. The child is served here at /<id>.
		cc, err := gethrpc.DialContext(ctx, strings.TrimSuffix(base, "/")+s.ID)
		if err != nil {
			continue
		}
		if cc.CallContext(ctx, &hdr, "eth_getBlockByNumber", s.LastCheckpointHeight, false) == nil {
			ckptTime[s.ID] = uint64(hdr.Timestamp)
		}
		cc.Close()
	}
	return buildStatus(tree, info, ckptTime, now), nil
}

// buildStatus works out peers, checkpoint ages and flags; pure, for tests.
func buildStatus(tree []node.TreeSubnet, info node.NodeInfo, ckptTime map[string]uint64, now time.Time) *treeStatus {
	peers := map[string]int{}
	for _, p := range info.Peers {
		for _, s := range p.Subnets {
			peers[s]++
		}
	}
	st := &treeStatus{PeerID: info.PeerID, Peers: len(info.Peers), Subnets: []subnetStatus{}}
	for _, s := range tree {
		x := subnetStatus{TreeSubnet: s, Peers: peers[s.ID], Flags: []string{}}
		if s.Status == "killed" {
			continue
		}
		if s.Status != "active" {
			x.Flags = append(x.Flags, s.Status)
		}
		if s.Served && s.LastBlockAge != nil {
			age := time.Duration(*s.LastBlockAge * float64(time.Second))
			limit := childStall
			if s.Parent == "" {
				limit = max(minRootStall, rootStallBlocks*time.Duration(s.BlockTimeMs)*time.Millisecond)
			}
			if age > limit {
				x.Flags = append(x.Flags, fmt.Sprintf("stalled: no block for %s", age.Round(time.Second)))
			}
		}
		if s.Served && s.Height != nil && s.LastCheckpointHeight != nil && s.CheckpointPeriod > 0 {
			lag := uint64(*s.Height) - min(uint64(*s.Height), uint64(*s.LastCheckpointHeight))
			x.CheckpointLagBlocks = &lag
			if lag > lagPeriods*uint64(s.CheckpointPeriod) {
				x.Flags = append(x.Flags, fmt.Sprintf("lagging: last checkpoint %d blocks behind", lag))
			}
		}
		if ts, ok := ckptTime[s.ID]; ok {
			a := max(now.Sub(time.Unix(int64(ts), 0)).Seconds(), 0)
			x.CheckpointAgeSeconds = &a
		}
		if s.Served && s.Parent != "" && x.Peers == 0 && len(s.Validators) > 1 {
			x.Flags = append(x.Flags, "no peers")
		}
		st.Subnets = append(st.Subnets, x)
	}
	return st
}

func (s *treeStatus) print(w io.Writer, base string) {
	fmt.Fprintf(w, "node %s · %d peers · %s\n\n", s.PeerID, s.Peers, base)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBNET\tENGINE\tROLE\tHEIGHT\tLAST BLOCK\tVALIDATORS\tPEERS\tCHECKPOINT\tQUEUED ↓/↑\tFLAGS")
	for _, x := range s.Subnets {
		depth := strings.Count(x.ID, "/") - 1
		name := x.ID
		if depth > 0 {
			name = strings.Repeat("  ", depth) + x.ID[strings.LastIndex(x.ID, "/"):]
		}
		role, height, last, peers := "-", "-", "-", "-"
		if x.Served {
			role, peers = x.Role, fmt.Sprint(x.Peers)
			if x.Height != nil {
				height = fmt.Sprint(uint64(*x.Height))
			}
			if x.LastBlockAge != nil {
				last = ago(*x.LastBlockAge)
			}
		} else {
			role = "not served"
		}
		ckpt := "-"
		if x.LastCheckpointHeight != nil {
			ckpt = fmt.Sprintf("#%d", uint64(*x.LastCheckpointHeight))
			var more []string
			if x.CheckpointLagBlocks != nil {
				more = append(more, fmt.Sprintf("%d behind", *x.CheckpointLagBlocks))
			}
			if x.CheckpointAgeSeconds != nil {
				more = append(more, ago(*x.CheckpointAgeSeconds))
			}
			if len(more) > 0 {
				ckpt += " (" + strings.Join(more, ", ") + ")"
			}
		}
		queued := "-"
		if x.DownQueued != nil && x.UpQueued != nil {
			queued = fmt.Sprintf("%d/%d", uint64(*x.DownQueued), uint64(*x.UpQueued))
		}
		flags := strings.Join(x.Flags, "; ")
		if flags == "" {
			flags = "ok"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", name, x.Engine, role, height, last, len(x.Validators), peers, ckpt, queued, flags)
	}
	tw.Flush()
}

func ago(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Second)
	return d.String() + " ago"
}
