package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/rpc/internal/memback"
	"github.com/aspen-chain/aspen/types"
)

// limitedHandler serves the populated chain with small filter and
// subscription limits.
func limitedHandler(t *testing.T, edit func(*Config)) (*Handler, *memback.Chain, *manualClock) {
	t.Helper()
	chain, _ := memback.Populate(testSubnet, 1337)
	cfg, clock := testConfig()
	edit(&cfg)
	h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: chain}, testSubnet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h, chain, clock
}

// postFrom is post with the client's address, which names its connection.
func postFrom(t *testing.T, h http.Handler, remote, body string) rpcResponse {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/devnet", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp rpcResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%s: %v", rec.Body.String(), err)
	}
	return resp
}

func newFilterCall(i int) string {
	methods := []string{"eth_newBlockFilter", "eth_newPendingTransactionFilter", "eth_newFilter"}
	params := "[]"
	if i%3 == 2 {
		params = `[{"address":"0x153b84f377c6c7a7d93bd9a717e48097ca6cfd11"}]`
	}
	return call(methods[i%3], params)
}

// TestFilterLimits: a connection installs at most MaxFiltersPerConn filters
// and all connections together at most MaxFilters; the refusal is a -32005
// error naming the limit; uninstalling frees a slot. Before the limits any
// number of filters was installed.
func TestFilterLimits(t *testing.T) {
	h, _, _ := limitedHandler(t, func(c *Config) { c.MaxFiltersPerConn, c.MaxFilters = 3, 5 })
	const a, b = "192.0.2.1:1000", "192.0.2.2:2000"
	var ids []string
	for i := range 3 {
		resp := postFrom(t, h, a, newFilterCall(i))
		if resp.Error != nil {
			t.Fatalf("filter %d: %+v", i, resp.Error)
		}
		var id string
		_ = json.Unmarshal(resp.Result, &id)
		ids = append(ids, id)
	}
	resp := postFrom(t, h, a, newFilterCall(3))
	if resp.Error == nil || resp.Error.Code != codeLimitExceeded || !strings.Contains(resp.Error.Message, "on this connection") || !strings.Contains(resp.Error.Message, "the limit is 3") {
		t.Fatalf("4th filter on one connection: %s %+v, want -32005 naming the per-connection limit 3", resp.Result, resp.Error)
	}
	// Another connection still gets filters, until the node-wide limit.
	for i := range 2 {
		if resp := postFrom(t, h, b, newFilterCall(i)); resp.Error != nil {
			t.Fatalf("filter %d on the second connection: %+v", i, resp.Error)
		}
	}
	resp = postFrom(t, h, b, newFilterCall(2))
	if resp.Error == nil || resp.Error.Code != codeLimitExceeded || !strings.Contains(resp.Error.Message, "on this node") {
		t.Fatalf("6th filter on the node: %s %+v, want -32005 naming the node-wide limit", resp.Result, resp.Error)
	}
	// Uninstalling gives the slot back.
	if resp := postFrom(t, h, a, call("eth_uninstallFilter", fmt.Sprintf("[%q]", ids[0]))); string(resp.Result) != "true" {
		t.Fatalf("uninstall: %s %+v", resp.Result, resp.Error)
	}
	if resp := postFrom(t, h, a, newFilterCall(0)); resp.Error != nil {
		t.Fatalf("filter after an uninstall: %+v", resp.Error)
	}
}

// TestLimitErrorsAreSentinels: callers inside the process can test the
// refusal with errors.Is.
func TestLimitErrorsAreSentinels(t *testing.T) {
	cfg, _ := testConfig()
	cfg.MaxFiltersPerConn = 1
	api := newSubnetAPI(memback.New(testSubnet, 1337), cfg.withDefaults(), nil)
	defer api.close()
	e := &ethAPI{api}
	ctx := context.Background()
	if _, err := e.NewBlockFilter(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := e.NewBlockFilter(ctx)
	if !errors.Is(err, ErrTooManyFilters) {
		t.Fatalf("second filter: %v, want ErrTooManyFilters", err)
	}
	var coded interface{ ErrorCode() int }
	if !errors.As(err, &coded) || coded.ErrorCode() != codeLimitExceeded {
		t.Fatalf("second filter: %v has no code %d", err, codeLimitExceeded)
	}
}

// TestPendingFiltersShareOneFeed: pending-tx filters hold no buffer of their
// own. However many are installed, the backend sees one subscription, and
// it is gone with the last filter. Before, every filter subscribed with its
// own 4,096-slot channel (~96 KiB each; 5,000 filters took ~470 MiB).
func TestPendingFiltersShareOneFeed(t *testing.T) {
	h, chain, _ := limitedHandler(t, func(*Config) {})
	var ids []string
	for i := range 50 {
		resp := postFrom(t, h, fmt.Sprintf("192.0.2.%d:1", i), call("eth_newPendingTransactionFilter", "[]"))
		var id string
		if resp.Error != nil || json.Unmarshal(resp.Result, &id) != nil {
			t.Fatalf("filter %d: %s %+v", i, resp.Result, resp.Error)
		}
		ids = append(ids, id)
	}
	if _, _, pending := chain.Subscribers(); pending != 1 {
		t.Fatalf("50 pending-tx filters hold %d backend subscriptions, want 1", pending)
	}
	for _, id := range ids {
		postFrom(t, h, "192.0.2.1:1", call("eth_uninstallFilter", fmt.Sprintf("[%q]", id)))
	}
	if _, _, pending := chain.Subscribers(); pending != 0 {
		t.Fatalf("no pending-tx filter left, %d backend subscriptions remain", pending)
	}
}

// TestPendingFilterSeesOnlyNewTransactions: each filter has its own cursor
// over the shared feed: a filter installed after a transaction does not
// report it, one installed before does, and a poll reports each hash once.
func TestPendingFilterSeesOnlyNewTransactions(t *testing.T) {
	chain, fx := memback.Populate(testSubnet, 1337)
	cfg, _ := testConfig()
	h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: chain}, testSubnet, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	poll := func(id string) []string {
		t.Helper()
		resp := postFrom(t, h, "192.0.2.1:1", call("eth_getFilterChanges", fmt.Sprintf("[%q]", id)))
		var hashes []string
		if resp.Error != nil || json.Unmarshal(resp.Result, &hashes) != nil {
			t.Fatalf("poll %s: %s %+v", id, resp.Result, resp.Error)
		}
		return hashes
	}
	install := func() string {
		t.Helper()
		var id string
		_ = json.Unmarshal(postFrom(t, h, "192.0.2.1:1", call("eth_newPendingTransactionFilter", "[]")).Result, &id)
		return id
	}
	early := install()
	tx1 := storeTx(t, chain, fx.Contract, 3, 20, 1)
	late := install()
	tx2 := storeTx(t, chain, fx.Contract, 4, 21, 2)
	want := func(id string, hashes ...string) {
		t.Helper()
		if got := poll(id); strings.Join(got, ",") != strings.Join(hashes, ",") {
			t.Errorf("filter %s: %v, want %v", id, got, hashes)
		}
	}
	want(early, tx1.Hash().Hex(), tx2.Hash().Hex())
	want(late, tx2.Hash().Hex())
	want(early)
	want(late)
}

// TestIdleFiltersSweptWithoutCalls: filters nobody polls for FilterTimeout
// are dropped by the periodic sweep even when no other filter call comes,
// freeing their quota and the backend subscription. Before, an idle filter
// was dropped only by a later filter call on the same subnet.
func TestIdleFiltersSweptWithoutCalls(t *testing.T) {
	h, chain, clock := limitedHandler(t, func(*Config) {})
	for _, m := range []string{"eth_newPendingTransactionFilter", "eth_newBlockFilter"} {
		if resp := postFrom(t, h, "192.0.2.1:1", call(m, "[]")); resp.Error != nil {
			t.Fatal(resp.Error)
		}
	}
	clock.Advance(DefaultFilterTimeout)
	h.expireFilters()
	if n := h.quotas.filters.open(); n != 2 {
		t.Fatalf("after exactly the timeout %d filters remain, want 2", n)
	}
	clock.Advance(time.Second)
	h.expireFilters()
	if n := h.quotas.filters.open(); n != 0 {
		t.Fatalf("after the timeout %d filters remain, want 0", n)
	}
	if _, _, pending := chain.Subscribers(); pending != 0 {
		t.Fatalf("an expired pending-tx filter still holds %d backend subscriptions", pending)
	}
	resp := postFrom(t, h, "192.0.2.1:1", call("eth_getFilterChanges", `["0x1"]`))
	if resp.Error == nil || resp.Error.Message != "filter not found" {
		t.Fatalf("expired filter polled: %s %+v", resp.Result, resp.Error)
	}
}

// waitOpen waits until q holds want slots, woken by each release; the
// deadline only fails a hung test.
func waitOpen(t *testing.T, q *quota, want int, what string) {
	t.Helper()
	deadline := time.NewTimer(failAfter)
	defer deadline.Stop()
	for {
		released := q.releasedCh() // before the check, so no release is missed
		if q.open() == want {
			return
		}
		select {
		case <-released:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s: %d open, want %d", what, q.open(), want)
		}
	}
}

// TestSubscriptionLimits: a WebSocket connection holds at most
// MaxSubscriptionsPerConn subscriptions and the node at most
// MaxSubscriptions; a cancelled subscription or a closed connection gives
// its slots back.
func TestSubscriptionLimits(t *testing.T) {
	h, _, _ := limitedHandler(t, func(c *Config) { c.MaxSubscriptionsPerConn, c.MaxSubscriptions = 2, 3 })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dial := func() *gethrpc.Client {
		c, err := gethrpc.DialWebsocket(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/devnet", "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	subscribe := func(c *gethrpc.Client) (*gethrpc.ClientSubscription, error) {
		return c.EthSubscribe(context.Background(), make(chan map[string]any, 1), "newHeads")
	}
	a, b := dial(), dial()
	var subs []*gethrpc.ClientSubscription
	for range 2 {
		sub, err := subscribe(a)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	_, err := subscribe(a)
	var rpcErr gethrpc.Error
	if !errors.As(err, &rpcErr) || rpcErr.ErrorCode() != codeLimitExceeded || !strings.Contains(err.Error(), "on this connection") {
		t.Fatalf("3rd subscription on one connection: %v, want -32005 naming the per-connection limit", err)
	}
	if _, err := subscribe(b); err != nil {
		t.Fatalf("first subscription on a second connection: %v", err)
	}
	if _, err := subscribe(b); err == nil || !strings.Contains(err.Error(), "on this node") {
		t.Fatalf("4th subscription on the node: %v, want the node-wide limit", err)
	}
	subs[0].Unsubscribe()
	waitOpen(t, h.quotas.subs, 2, "the cancelled subscription's slot")
	if _, err := subscribe(b); err != nil {
		t.Fatalf("subscription after a cancel: %v", err)
	}
	a.Close()
	waitOpen(t, h.quotas.subs, 2, "the closed connection's slot")
}

// TestWSOriginsDefaultToLocalPages: by default a page on another site cannot
// open a WebSocket to the node (a visitor's browser would otherwise let any
// site drive a local node); local pages and non-browser clients (no Origin)
// can. Configured origins replace the default. Before, every origin was let in.
func TestWSOriginsDefaultToLocalPages(t *testing.T) {
	for _, tc := range []struct {
		origins []string
		origin  string
		ok      bool
	}{
		{nil, "", true},
		{nil, "http://localhost:3000", true},
		{nil, "https://localhost", true},
		{nil, "http://127.0.0.1:8080", true},
		{nil, "http://[::1]:5173", true},
		{nil, "https://evil.example", false},
		{nil, "http://localhost.evil.example", false},
		{nil, "null", false},
		{[]string{"https://app.example"}, "https://app.example", true},
		{[]string{"https://app.example"}, "http://localhost:3000", false},
		{[]string{"*"}, "https://evil.example", true},
	} {
		h, _, _ := limitedHandler(t, func(c *Config) { c.WSOrigins = tc.origins })
		srv := httptest.NewServer(h)
		c, err := gethrpc.DialWebsocket(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/devnet", tc.origin)
		if (err == nil) != tc.ok {
			t.Errorf("origins %v, Origin %q: dial error %v, want allowed=%v", tc.origins, tc.origin, err, tc.ok)
		}
		if err == nil {
			c.Close()
		}
		srv.Close()
	}
}

// TestHTTPServerDropsStalledRequest: a client that sends headers and then
// trickles (here: stops sending) its body is cut off after ReadTimeout
// instead of holding a connection and a goroutine for ever. Before, the
// server had only a header timeout.
func TestHTTPServerDropsStalledRequest(t *testing.T) {
	h, _, _ := limitedHandler(t, func(*Config) {})
	srv := NewHTTPServer(h, Config{ReadTimeout: 100 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /devnet HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\":")
	_ = conn.SetReadDeadline(time.Now().Add(failAfter))
	// The server answers with an error or just closes; either way the
	// connection ends before our deadline, and no RPC result comes back.
	rest, err := bufio.NewReader(conn).ReadString(0)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still holds a stalled request after %s", failAfter)
	}
	if strings.Contains(rest, `"result"`) {
		t.Fatalf("a truncated request got a result: %q", rest)
	}
}

// TestServerTimeoutDefaults: NewHTTPServer sets every timeout, and the write
// timeout leaves a call that runs to CallTimeout room to answer.
func TestServerTimeoutDefaults(t *testing.T) {
	srv := NewHTTPServer(http.NotFoundHandler(), Config{CallTimeout: time.Minute})
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts %v %v %v: every one must be set", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout)
	}
	if srv.WriteTimeout <= time.Minute {
		t.Fatalf("write timeout %s does not outlast a %s call", srv.WriteTimeout, time.Minute)
	}
}
