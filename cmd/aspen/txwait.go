package main

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/internal/progress"
)

// transactShowing is Gateway.Transact with progress while the receipt is
// awaited: the blocks the chain made since the send, their rate, and when
// the next one is due (a transaction lands in the next block or two unless
// the pool is full).
func transactShowing(ctx context.Context, cmd *cobra.Command, f *gwFlags, g *client.Gateway, method string, value *big.Int, args ...any) (*client.SentTx, error) {
	p, err := g.Send(ctx, method, value, args...)
	if err != nil {
		return nil, err
	}
	out := cmd.ErrOrStderr()
	if f.asJSON {
		out = io.Discard
	}
	stop := watchBlocks(ctx, out, g.URL(), method)
	defer stop()
	return g.Confirm(ctx, p)
}

// watchBlocks draws the chain at url's new blocks on out until stop.
func watchBlocks(ctx context.Context, out io.Writer, url, label string) (stop func()) {
	if out == io.Discard {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := gethrpc.DialContext(ctx, url)
		if err != nil {
			return // the receipt wait reports what is wrong with url
		}
		defer c.Close()
		head := func() (uint64, bool) {
			var h hexutil.Uint64
			err := c.CallContext(ctx, &h, "eth_blockNumber")
			return uint64(h), err == nil
		}
		first, ok := head()
		if !ok {
			return
		}
		// A quick inclusion needs no progress: nothing shows within a second.
		bar := progress.New(out, label+": waiting for a block", "blocks", 0, progress.Options{Delay: time.Second})
		defer bar.Finish()
		start, last, lastAt := first, first, time.Now()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			h, ok := head()
			if ok && h > last {
				last, lastAt = h, time.Now()
			}
			st := bar.Stats()
			note := fmt.Sprintf("chain at block %d", last)
			if st.Rate > 0 {
				due := time.Duration(float64(time.Second)/st.Rate) - time.Since(lastAt)
				note += ", next block in ~" + progress.FormatETA(max(due, 0))
			}
			bar.Note(note)
			bar.Set(int64(last - start))
		}
	}()
	return func() { cancel(); <-done }
}
