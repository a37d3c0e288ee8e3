package witnesssync

import (
	"container/list"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// itemCache keeps the latest served items, by block hash (unique across
// subnets: a header names its subnet), within a byte budget, evicting the
// least recently used. Not safe for concurrent use: the server's mu guards it.
type itemCache struct {
	budget, size int
	order        *list.List // of *cached, most recent first
	byHash       map[common.Hash]*list.Element
}

type cached struct {
	hash common.Hash
	item rlp.RawValue
}

func newItemCache(budget int) *itemCache {
	return &itemCache{budget: budget, order: list.New(), byHash: map[common.Hash]*list.Element{}}
}

func (c *itemCache) get(hash common.Hash) (rlp.RawValue, bool) {
	e, ok := c.byHash[hash]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).item, true
}

// put adds item unless it alone is over a quarter of the budget (a few
// big witnesses must not flush every small one).
func (c *itemCache) put(hash common.Hash, item rlp.RawValue) {
	if _, ok := c.byHash[hash]; ok || len(item) > c.budget/4 {
		return
	}
	c.byHash[hash] = c.order.PushFront(&cached{hash: hash, item: item})
	c.size += len(item)
	for c.size > c.budget {
		last := c.order.Back()
		old := last.Value.(*cached)
		c.order.Remove(last)
		delete(c.byHash, old.hash)
		c.size -= len(old.item)
	}
}
