package rpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aspen-chain/aspen/rpc/internal/memback"
	"github.com/aspen-chain/aspen/types"
)

// FuzzHandleRequest posts an arbitrary body to a subnet's JSON-RPC over the
// in-memory backend. Whatever the body, the answer is JSON (one response or
// a batch of them), no method panics (geth turns a panic into "method
// handler crashed", which this target refuses) and the status is never a
// server error. Seeds are every request of the golden transcripts. `make
// fuzz` runs it (tools/fuzz).
func FuzzHandleRequest(f *testing.F) {
	files, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if req, ok := strings.CutPrefix(sc.Text(), "--> "); ok {
				f.Add([]byte(req))
			}
		}
	}
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},{"jsonrpc":"2.0","method":"eth_chainId"}]`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"eth_newFilter","params":[{"topics":[[null,"0x01"]]}]}`))
	f.Add([]byte(`[]`))
	chain, _ := memback.Populate(testSubnet, 1337)
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg, _ := testConfig()
		// A fresh handler per input over one chain: filters and their
		// quotas start empty, so a failing input replays alone.
		h, err := NewHandler(map[types.SubnetID]Backend{testSubnet: chain}, testSubnet, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		req := httptest.NewRequest(http.MethodPost, "/devnet", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		out := bytes.TrimSpace(rec.Body.Bytes())
		if len(out) == 0 {
			return // only notifications: nothing to answer
		}
		if !json.Valid(out) {
			t.Fatalf("answer to %q is not JSON: %q", body, out)
		}
		if bytes.Contains(out, []byte("method handler crashed")) {
			t.Fatalf("a method panicked on %q: %s", body, out)
		}
	})
}
