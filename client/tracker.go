package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// ErrMessageNotFound: no CrossMsgSent with that ID on the source chain.
var ErrMessageNotFound = errors.New("client: no such message on its source chain")

// Hop states of a message on one chain of its path.
const (
	HopSent      = "sent"
	HopForwarded = "forwarded"
	HopApplied   = "applied"
	HopFailed    = "failed"
	HopWaiting   = "waiting"
)

// Hop is one chain on a message's path and what happened there.
type Hop struct {
	Chain  string      `json:"chain"`
	State  string      `json:"state"` // sent | forwarded | applied | failed | waiting
	Block  uint64      `json:"block,omitempty"`
	Tx     common.Hash `json:"tx,omitempty"`
	Detail string      `json:"detail,omitempty"`
}

// LogFinder finds the first gateway log of event whose first indexed
// topic is the message ID id on chain; nil, nil if there is none yet.
type LogFinder interface {
	FindLog(ctx context.Context, chain types.SubnetID, event string, id common.Hash) (*gethtypes.Log, error)
}

// Tracker follows cross-messages along their path: CrossMsgSent on the
// source, CrossMsgForwarded on every chain in between, CrossMsgApplied at
// the destination.
type Tracker struct {
	logs LogFinder
	abi  abi.ABI
	// poll is how often a chain is asked again while a hop has not happened.
	poll time.Duration
}

// NewTracker returns a tracker that reads logs through logs.
func NewTracker(logs LogFinder) (*Tracker, error) {
	parsed, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	return &Tracker{logs: logs, abi: parsed, poll: 250 * time.Millisecond}, nil
}

// Route is a message found on its source chain and the chains it will visit.
type Route struct {
	ID   common.Hash
	Src  types.SubnetID
	Dst  types.SubnetID
	Path []types.SubnetID // Src first, Dst last
	Sent Hop
}

// Find looks up message id on src and works out its path.
func (t *Tracker) Find(ctx context.Context, src types.SubnetID, id common.Hash) (*Route, error) {
	sent, err := t.logs.FindLog(ctx, src, "CrossMsgSent", id)
	if err != nil {
		return nil, err
	}
	if sent == nil {
		return nil, fmt.Errorf("%w: %s on %s", ErrMessageNotFound, id, src)
	}
	ev := map[string]any{}
	if err := t.abi.UnpackIntoMap(ev, "CrossMsgSent", sent.Data); err != nil {
		return nil, fmt.Errorf("CrossMsgSent of %s on %s: %w", id, src, err)
	}
	dstStr, _ := ev["dst"].(string)
	dst, err := types.ParseSubnetID(dstStr)
	if err != nil {
		return nil, fmt.Errorf("CrossMsgSent of %s on %s: destination: %w", id, src, err)
	}
	path := src.PathTo(dst)
	if path == nil {
		return nil, fmt.Errorf("CrossMsgSent of %s on %s: destination %s is in another network", id, src, dst)
	}
	return &Route{ID: id, Src: src, Dst: dst, Path: path,
		Sent: Hop{Chain: string(src), State: HopSent, Block: sent.BlockNumber, Tx: sent.TxHash}}, nil
}

// Wait waits until r's message has passed chain (forwarded, or applied or
// failed at the destination) and returns that hop. It returns ctx's error
// when ctx ends first.
func (t *Tracker) Wait(ctx context.Context, r *Route, chain types.SubnetID) (Hop, error) {
	event := "CrossMsgForwarded"
	if chain == r.Dst {
		event = "CrossMsgApplied"
	}
	for {
		l, err := t.logs.FindLog(ctx, chain, event, r.ID)
		if err != nil {
			return Hop{}, err
		}
		if l != nil {
			return t.hop(r, chain, l), nil
		}
		select {
		case <-ctx.Done():
			return Hop{}, ctx.Err()
		case <-time.After(t.poll):
		}
	}
}

func (t *Tracker) hop(r *Route, chain types.SubnetID, l *gethtypes.Log) Hop {
	h := Hop{Chain: string(chain), State: HopForwarded, Block: l.BlockNumber, Tx: l.TxHash}
	if chain != r.Dst {
		return h
	}
	res := map[string]any{}
	_ = t.abi.UnpackIntoMap(res, "CrossMsgApplied", l.Data)
	h.State = HopApplied
	if ok, _ := res["success"].(bool); !ok {
		h.State = HopFailed
		h.Detail = fmt.Sprintf("the call reverted (%x); its value returns to the sender", res["result"])
	}
	return h
}

// RPCLogs finds logs over JSON-RPC, dialing the URL that url gives for
// each chain.
type RPCLogs struct {
	URL func(chain types.SubnetID) (string, error)
}

var _ LogFinder = RPCLogs{}

// FindLog implements LogFinder with eth_getLogs over the whole chain.
func (r RPCLogs) FindLog(ctx context.Context, chain types.SubnetID, event string, id common.Hash) (*gethtypes.Log, error) {
	url, err := r.URL(chain)
	if err != nil {
		return nil, err
	}
	c, err := gethrpc.DialContext(ctx, url)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	parsed, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	var logs []*gethtypes.Log
	q := map[string]any{"fromBlock": "0x0", "toBlock": "latest", "address": gateway.Address,
		"topics": [][]common.Hash{{parsed.Events[event].ID}, {id}}}
	if err := c.CallContext(ctx, &logs, "eth_getLogs", q); err != nil {
		return nil, fmt.Errorf("%s: %w", chain, err)
	}
	if len(logs) == 0 {
		return nil, nil
	}
	return logs[0], nil
}
