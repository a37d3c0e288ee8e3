package rpc

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// Limits on one log query, as geth has them.
const (
	maxTopics    = 4
	maxAddresses = 1000
	maxSubTopics = 1000 // alternatives in one topic position
)

var errInvalidBlockRange = errors.New("invalid block range params")

// filterQuery is the spec's Filter: a block range or a block hash, and the
// addresses and topics a log must match.
type filterQuery struct {
	BlockHash *common.Hash
	FromBlock *BlockRef
	ToBlock   *BlockRef
	Addresses []common.Address
	Topics    [][]common.Hash
}

// UnmarshalJSON parses a filter: address may be one address or a list,
// each topic position null (any), one topic or a list of alternatives.
func (q *filterQuery) UnmarshalJSON(data []byte) error {
	var raw struct {
		BlockHash *common.Hash      `json:"blockHash"`
		FromBlock *BlockRef         `json:"fromBlock"`
		ToBlock   *BlockRef         `json:"toBlock"`
		Address   json.RawMessage   `json:"address"`
		Topics    []json.RawMessage `json:"topics"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if raw.BlockHash != nil && (raw.FromBlock != nil || raw.ToBlock != nil) {
		return errors.New("cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
	}
	*q = filterQuery{BlockHash: raw.BlockHash, FromBlock: raw.FromBlock, ToBlock: raw.ToBlock}
	if len(raw.Address) > 0 && string(raw.Address) != "null" {
		var one common.Address
		if err := json.Unmarshal(raw.Address, &one); err == nil {
			q.Addresses = []common.Address{one}
		} else if err := json.Unmarshal(raw.Address, &q.Addresses); err != nil {
			return fmt.Errorf("invalid address %s: want an address or a list of addresses", raw.Address)
		}
	}
	if len(q.Addresses) > maxAddresses {
		return fmt.Errorf("exceed max addresses: %d, the limit is %d", len(q.Addresses), maxAddresses)
	}
	if len(raw.Topics) > maxTopics {
		return fmt.Errorf("exceed max topics: %d positions, the limit is %d", len(raw.Topics), maxTopics)
	}
	for i, t := range raw.Topics {
		var alts []common.Hash
		switch {
		case len(t) == 0 || string(t) == "null":
		case t[0] == '[':
			var list []*common.Hash
			if err := json.Unmarshal(t, &list); err != nil {
				return fmt.Errorf("invalid topic %d: %v", i, err)
			}
			if len(list) > maxSubTopics {
				return fmt.Errorf("exceed max topics: %d alternatives in position %d, the limit is %d", len(list), i, maxSubTopics)
			}
			for _, h := range list {
				if h == nil { // a null alternative matches anything
					alts = nil
					break
				}
				alts = append(alts, *h)
			}
		default:
			var h common.Hash
			if err := json.Unmarshal(t, &h); err != nil {
				return fmt.Errorf("invalid topic %d: %v", i, err)
			}
			alts = []common.Hash{h}
		}
		q.Topics = append(q.Topics, alts)
	}
	return nil
}

// bloomMatch reports whether a block with this bloom may hold a matching log.
func (q *filterQuery) bloomMatch(bloom gethtypes.Bloom) bool {
	if len(q.Addresses) > 0 {
		found := false
		for _, a := range q.Addresses {
			if gethtypes.BloomLookup(bloom, a) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, alts := range q.Topics {
		found := len(alts) == 0
		for _, t := range alts {
			if gethtypes.BloomLookup(bloom, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// match reports whether one log matches.
func (q *filterQuery) match(l *gethtypes.Log) bool {
	if len(q.Addresses) > 0 {
		found := false
		for _, a := range q.Addresses {
			if l.Address == a {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(q.Topics) > len(l.Topics) {
		return false
	}
	for i, alts := range q.Topics {
		if len(alts) == 0 {
			continue
		}
		found := false
		for _, t := range alts {
			if l.Topics[i] == t {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// rangeBound resolves fromBlock/toBlock to a height; absent means latest.
func (s *subnetAPI) rangeBound(ref *BlockRef) (uint64, error) {
	if ref == nil {
		return s.b.Head().Height, nil
	}
	if ref.Hash != nil {
		return 0, invalidParams("fromBlock and toBlock take a number or tag; use blockHash for one block")
	}
	switch ref.Tag {
	case tagLatest, tagPending:
		return s.b.Head().Height, nil
	case tagSafe:
		return s.b.Safe().Height, nil
	case tagFinalized:
		return s.b.Finalized().Height, nil
	case tagEarliest:
		return 0, nil
	}
	return ref.Number, nil
}

// logs runs a query over committed blocks: one block by hash, or a range of
// at most LogRangeLimit blocks, reading receipts only of blocks whose bloom
// may match.
func (s *subnetAPI) logs(q *filterQuery) ([]*gethtypes.Log, error) {
	out := []*gethtypes.Log{}
	if q.BlockHash != nil {
		b, err := s.blockByHash(*q.BlockHash)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return nil, errors.New("unknown block")
		}
		return s.appendBlockLogs(out, q, b.Height())
	}
	from, err := s.rangeBound(q.FromBlock)
	if err != nil {
		return nil, err
	}
	to, err := s.rangeBound(q.ToBlock)
	if err != nil {
		return nil, err
	}
	if from > to {
		return nil, errInvalidBlockRange
	}
	if to-from+1 > s.cfg.LogRangeLimit {
		return nil, &apiError{codeLimitExceeded, fmt.Sprintf("block range too large: %d blocks, the limit is %d; query a smaller range", to-from+1, s.cfg.LogRangeLimit)}
	}
	return s.scanLogs(out, q, from, to)
}

// scanLogs appends the matching logs of blocks from..to, clamped to the head.
func (s *subnetAPI) scanLogs(out []*gethtypes.Log, q *filterQuery, from, to uint64) ([]*gethtypes.Log, error) {
	to = min(to, s.b.Head().Height)
	for n := from; n <= to; n++ {
		var err error
		if out, err = s.appendBlockLogs(out, q, n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *subnetAPI) appendBlockLogs(out []*gethtypes.Log, q *filterQuery, height uint64) ([]*gethtypes.Log, error) {
	h, err := s.headerAt(height)
	if err != nil || h == nil || !q.bloomMatch(h.Bloom) {
		return out, err
	}
	b, err := s.blockByHash(h.Hash())
	if err != nil || b == nil {
		return out, err
	}
	receipts, err := s.blockReceipts(b)
	if err != nil {
		return nil, err
	}
	for _, r := range receipts {
		for _, l := range r.Logs {
			if q.match(l) {
				out = append(out, l)
			}
		}
	}
	sys, err := s.b.SystemLogs(b.Hash())
	if err != nil {
		return nil, err
	}
	for _, l := range sys {
		if q.match(l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// GetLogs is eth_getLogs.
func (e *ethAPI) GetLogs(q filterQuery) ([]*gethtypes.Log, error) { return e.logs(&q) }
