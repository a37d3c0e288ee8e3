package rpc

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/types"
)

// maxFeeHistory is the most blocks eth_feeHistory reports, as geth.
const maxFeeHistory = 1024

// GasPrice is eth_gasPrice: the suggested tip plus the head's base fee.
func (e *ethAPI) GasPrice() *hexutil.Big {
	p := new(big.Int).Set(bigOrZero(e.b.SuggestTip()))
	p.Add(p, bigOrZero(e.b.Head().BaseFee))
	return (*hexutil.Big)(p)
}

// MaxPriorityFeePerGas is eth_maxPriorityFeePerGas.
func (e *ethAPI) MaxPriorityFeePerGas() *hexutil.Big {
	return (*hexutil.Big)(new(big.Int).Set(bigOrZero(e.b.SuggestTip())))
}

// BaseFee is eth_baseFee: the base fee of the next block.
func (e *ethAPI) BaseFee() *hexutil.Big {
	return (*hexutil.Big)(new(big.Int).Set(bigOrZero(e.b.NextBaseFee())))
}

// BlobBaseFee is eth_blobBaseFee. Aspen subnets carry no blobs, so the blob
// base fee stays at its EIP-4844 minimum of 1 wei.
func (e *ethAPI) BlobBaseFee() *hexutil.Big { return (*hexutil.Big)(big.NewInt(1)) }

// hexOrDecimal is a count given as a hex string, a decimal string or a number.
type hexOrDecimal uint64

func (n *hexOrDecimal) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	var (
		v   uint64
		err error
	)
	if strings.HasPrefix(s, "0x") {
		v, err = hexutil.DecodeUint64(s)
	} else {
		v, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		return fmt.Errorf("invalid block count %s: want a hex or decimal number", data)
	}
	*n = hexOrDecimal(v)
	return nil
}

type feeHistoryResult struct {
	OldestBlock      *hexutil.Big     `json:"oldestBlock"`
	Reward           [][]*hexutil.Big `json:"reward,omitempty"`
	BaseFee          []*hexutil.Big   `json:"baseFeePerGas"`
	GasUsedRatio     []float64        `json:"gasUsedRatio"`
	BlobBaseFee      []*hexutil.Big   `json:"baseFeePerBlobGas"`
	BlobGasUsedRatio []float64        `json:"blobGasUsedRatio"`
}

// FeeHistory is eth_feeHistory, with the effective tips at the requested
// percentiles weighted by gas used, as geth computes them.
func (e *ethAPI) FeeHistory(count hexOrDecimal, newest BlockRef, percentiles []float64) (*feeHistoryResult, error) {
	for i, p := range percentiles {
		if p < 0 || p > 100 {
			return nil, invalidParams("invalid reward percentile: %f (want 0 to 100)", p)
		}
		if i > 0 && p <= percentiles[i-1] {
			return nil, invalidParams("invalid reward percentiles: #%d:%f >= #%d:%f (want strictly increasing)", i-1, percentiles[i-1], i, p)
		}
	}
	res := &feeHistoryResult{
		OldestBlock:      (*hexutil.Big)(new(big.Int)),
		BaseFee:          []*hexutil.Big{},
		GasUsedRatio:     []float64{},
		BlobBaseFee:      []*hexutil.Big{},
		BlobGasUsedRatio: []float64{},
	}
	if count == 0 {
		return res, nil
	}
	last, err := e.header(newest)
	if err != nil {
		return nil, err
	}
	if last == nil {
		return nil, fmt.Errorf("requested block %s is beyond the head block %d", newest, e.b.Head().Height)
	}
	n := min(uint64(count), maxFeeHistory, last.Height+1)
	oldest := last.Height + 1 - n
	res.OldestBlock = (*hexutil.Big)(new(big.Int).SetUint64(oldest))
	if len(percentiles) > 0 {
		res.Reward = make([][]*hexutil.Big, 0, n)
	}
	for height := oldest; height <= last.Height; height++ {
		b, err := e.b.BlockByNumber(height)
		if err != nil || b == nil {
			return nil, fmt.Errorf("fee history: block %d: %v", height, err)
		}
		h := b.Header
		res.BaseFee = append(res.BaseFee, (*hexutil.Big)(bigOrZero(h.BaseFee)))
		res.BlobBaseFee = append(res.BlobBaseFee, (*hexutil.Big)(big.NewInt(1)))
		ratio := 0.0
		if h.GasLimit > 0 {
			ratio = float64(h.GasUsed) / float64(h.GasLimit)
		}
		res.GasUsedRatio = append(res.GasUsedRatio, ratio)
		res.BlobGasUsedRatio = append(res.BlobGasUsedRatio, 0)
		if len(percentiles) > 0 {
			r, err := e.rewards(b, percentiles)
			if err != nil {
				return nil, err
			}
			res.Reward = append(res.Reward, r)
		}
	}
	next := e.b.NextBaseFee()
	if head := e.b.Head(); last.Height < head.Height {
		nh, err := e.b.HeaderByNumber(last.Height + 1)
		if err != nil || nh == nil {
			return nil, fmt.Errorf("fee history: block %d: %v", last.Height+1, err)
		}
		next = nh.BaseFee
	}
	res.BaseFee = append(res.BaseFee, (*hexutil.Big)(bigOrZero(next)))
	res.BlobBaseFee = append(res.BlobBaseFee, (*hexutil.Big)(big.NewInt(1)))
	return res, nil
}

// rewards is one block's effective tips at the given percentiles of gas used.
func (e *ethAPI) rewards(b *types.Block, percentiles []float64) ([]*hexutil.Big, error) {
	out := make([]*hexutil.Big, len(percentiles))
	if len(b.Txs) == 0 {
		for i := range out {
			out[i] = (*hexutil.Big)(new(big.Int))
		}
		return out, nil
	}
	receipts, err := e.b.Receipts(b.Hash())
	if err != nil {
		return nil, err
	}
	if len(receipts) != len(b.Txs) {
		return nil, fmt.Errorf("fee history: block %d has %d receipts for %d transactions", b.Height(), len(receipts), len(b.Txs))
	}
	type txTip struct {
		gasUsed uint64
		tip     *big.Int
	}
	tips := make([]txTip, len(b.Txs))
	baseFee := bigOrZero(b.Header.BaseFee)
	for i, tx := range b.Txs {
		tip, _ := tx.EffectiveGasTip(baseFee)
		tips[i] = txTip{receipts[i].GasUsed, bigOrZero(tip)}
	}
	slices.SortStableFunc(tips, func(a, b txTip) int { return a.tip.Cmp(b.tip) })
	idx, sum := 0, tips[0].gasUsed
	for i, p := range percentiles {
		threshold := uint64(float64(b.Header.GasUsed) * p / 100)
		for sum < threshold && idx < len(tips)-1 {
			idx++
			sum += tips[idx].gasUsed
		}
		out[i] = (*hexutil.Big)(tips[idx].tip)
	}
	return out, nil
}

var _ json.Unmarshaler = (*hexOrDecimal)(nil)
