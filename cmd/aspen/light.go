package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/internal/progress"
	"github.com/aspen-chain/aspen/light"
	"github.com/aspen-chain/aspen/types"
)

// lightOpts are the flags every `aspen light` command shares.
type lightOpts struct {
	rpc     string
	genesis string // a genesis file, or the hash of one (0x…)
	home    string
	json    bool
}

func lightCmd() *cobra.Command {
	o := &lightOpts{}
	cmd := &cobra.Command{
		Use:   "light",
		Short: "Verify balances, storage and cross-subnet messages trusting only the root's genesis",
		Long: "light checks what an RPC node says instead of trusting it: root headers by their commit certificates from the\n" +
			"genesis on, a subnet's state through the checkpoints its parent committed, accounts by Merkle proofs against it.\n" +
			"What it verified is kept under --home, and the next run starts from there.",
	}
	f := cmd.PersistentFlags()
	f.StringVar(&o.rpc, "rpc", "http://127.0.0.1:8545", "a node's RPC URL (its root chain; subnets are read at URL/<subnet id>)")
	f.StringVar(&o.genesis, "genesis", "", "the root's genesis file, or its hash (0x…, as `aspen init` prints it) to fetch it from the node and check it")
	f.StringVar(&o.home, "home", defaultLightHome(), "directory where the client keeps what it verified")
	f.BoolVar(&o.json, "json", false, "print JSON")
	cmd.AddCommand(lightBalanceCmd(o), lightMsgCmd(o), lightServeCmd(o))
	return cmd
}

func defaultLightHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".aspen-light")
	}
	return ".aspen-light"
}

func (o *lightOpts) open(ctx context.Context) (*light.Client, *light.Remote, error) {
	if o.genesis == "" {
		return nil, nil, errors.New("--genesis is required: the root's genesis file (e.g. <devnet home>/node0/genesis.json) or its hash")
	}
	remote := light.NewRemote(o.rpc, light.DefaultLimits)
	var (
		gen *config.Genesis
		err error
	)
	if strings.HasPrefix(o.genesis, "0x") && len(o.genesis) == 66 {
		gen, err = light.GenesisByHash(ctx, remote, common.HexToHash(o.genesis))
	} else {
		gen, err = config.LoadGenesis(o.genesis)
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := light.Open(remote, light.NewStore(o.home), gen)
	return c, remote, err
}

// showSync draws the root headers c verifies on out while it syncs: the
// first run from a genesis can have a long way to go. A sync done within a
// second prints nothing.
func (o *lightOpts) showSync(c *light.Client, out io.Writer) {
	if o.json {
		return
	}
	var bar *progress.Reporter
	c.OnSync = func(trusted, target uint64) {
		if bar == nil && trusted < target {
			bar = progress.New(out, "verifying root headers", "blocks", int64(target), progress.Options{Base: int64(trusted), Delay: time.Second})
		}
		if bar == nil {
			return
		}
		bar.SetTotal(int64(target))
		bar.Set(int64(trusted))
		if trusted >= target {
			bar.Finish()
			bar = nil
		}
	}
}

func lightBalanceCmd(o *lightOpts) *cobra.Command {
	var subnet string
	cmd := &cobra.Command{
		Use:   "balance ADDRESS",
		Short: "Print an account's balance on a subnet, proven from the root's genesis",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !common.IsHexAddress(args[0]) {
				return fmt.Errorf("%q is not an address (0x and 40 hex digits)", args[0])
			}
			ctx := cmd.Context()
			c, remote, err := o.open(ctx)
			if err != nil {
				return err
			}
			o.showSync(c, cmd.ErrOrStderr())
			id := types.SubnetID(subnet)
			if subnet == "" {
				id = c.Trusted().Subnet
			}
			start := time.Now()
			p, err := c.Account(ctx, id, common.HexToAddress(args[0]))
			if err != nil {
				return err
			}
			took := time.Since(start)
			out := cmd.OutOrStdout()
			if o.json {
				return json.NewEncoder(out).Encode(map[string]any{
					"subnet": id, "address": common.HexToAddress(args[0]), "balance": p.Account.Balance.String(),
					"nonce": p.Account.Nonce, "height": p.Anchor.Height, "blockHash": p.Anchor.BlockHash,
					"stateRoot": p.Anchor.StateRoot, "rootHeight": p.Anchor.RootHeight,
					"proofBytes": map[string]int{"headers": p.Sizes.Headers, "checkpoints": p.Sizes.Checkpoints, "state": p.Sizes.State},
					"bytesRead":  remote.BytesRead(), "millis": took.Milliseconds(),
				})
			}
			fmt.Fprintf(out, "%s wei\n", p.Account.Balance)
			fmt.Fprintf(out, "  verified on %s at height %d (block %s), from root block %d\n", id, p.Anchor.Height, p.Anchor.BlockHash, p.Anchor.RootHeight)
			fmt.Fprintf(out, "  proof: %d bytes of headers, %d of checkpoints, %d of state\n", p.Sizes.Headers, p.Sizes.Checkpoints, p.Sizes.State)
			return nil
		},
	}
	cmd.Flags().StringVar(&subnet, "subnet", "", "subnet ID, e.g. /devnet/alpha/one (default: the root)")
	return cmd
}

func lightMsgCmd(o *lightOpts) *cobra.Command {
	return &cobra.Command{
		Use:   "msg MSGID",
		Short: "Prove that a bottom-up cross-subnet message was committed by its source's parent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args[0]) != 66 || !strings.HasPrefix(args[0], "0x") {
				return fmt.Errorf("%q is not a message ID (0x and 64 hex digits)", args[0])
			}
			ctx := cmd.Context()
			c, _, err := o.open(ctx)
			if err != nil {
				return err
			}
			o.showSync(c, cmd.ErrOrStderr())
			m, err := c.Message(ctx, common.HexToHash(args[0]))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.json {
				return json.NewEncoder(out).Encode(map[string]any{
					"id": m.Msg.ID, "src": m.Msg.SrcSubnet, "nonce": m.Msg.SrcNonce, "from": m.Msg.From, "dst": m.Msg.DstSubnet,
					"to": m.Msg.To, "value": m.Msg.Value.String(), "checkpoint": m.Checkpoint, "subnet": m.Subnet,
					"parent": m.Parent.Subnet, "parentHeight": m.Parent.Height,
				})
			}
			fmt.Fprintf(out, "message %s: %s wei from %s on %s to %s on %s\n", m.Msg.ID, m.Msg.Value, m.Msg.From, m.Msg.SrcSubnet, m.Msg.To, m.Msg.DstSubnet)
			fmt.Fprintf(out, "  carried by checkpoint %d of %s, committed by %s (verified at its height %d)\n", m.Checkpoint, m.Subnet, m.Parent.Subnet, m.Parent.Height)
			return nil
		},
	}
}

func lightServeCmd(o *lightOpts) *cobra.Command {
	var (
		port  int
		fresh time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a local JSON-RPC endpoint that answers only what it verified",
		Long: "serve answers eth_getBalance, eth_getTransactionCount, eth_getCode, eth_getStorageAt, eth_blockNumber, eth_chainId\n" +
			"and eth_call (run locally on the accounts and slots it reads, each proven) for the root at / and every subnet at\n" +
			"/<subnet id>; everything else is an error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			c, _, err := o.open(ctx)
			if err != nil {
				return err
			}
			c.Fresh = fresh
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				return err
			}
			proxy := light.NewProxy(c)
			proxy.Exec = provenCall
			srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "light client serving verified answers on http://%s\n", ln.Addr())
			go func() {
				<-ctx.Done()
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(shut)
			}()
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&port, "port", 8645, "local port (127.0.0.1 only)")
	cmd.Flags().DurationVar(&fresh, "fresh", time.Second, "how long a verified root head answers before the node is asked for a newer one")
	return cmd
}
