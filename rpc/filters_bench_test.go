package rpc

import (
	"context"
	"runtime"
	"testing"

	"github.com/aspen-chain/aspen/rpc/internal/memback"
)

// BenchmarkPendingFilterHeap reports the live heap each installed
// pending-tx filter keeps (B/filter), the figure issue 19 measured at
// ~96 KiB before filters shared one feed. Run:
//
//	go test -run '^$' -bench PendingFilterHeap -benchtime 5000x ./rpc
func BenchmarkPendingFilterHeap(b *testing.B) {
	cfg, _ := testConfig()
	cfg.MaxFilters, cfg.MaxFiltersPerConn = b.N+1, b.N+1
	api := newSubnetAPI(memback.New(testSubnet, 1337), cfg.withDefaults(), nil)
	defer api.close()
	e := &ethAPI{api}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		if _, err := e.NewPendingTransactionFilter(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "B/filter")
	runtime.KeepAlive(api)
}
