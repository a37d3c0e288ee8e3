package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// cometLoad is tools/measure/cometbft.sh's load: txs kvstore transactions
// ("bench-I=I") offered at rate over CometBFT's JSON-RPC (broadcast_tx_async
// in batches of 100), and the blocks that include them read back. It prints
// "cometbft committed_tps=X p50_ms=Y", the line the table reads.
func cometLoad(ctx context.Context, rpc string, rate float64, txs int, log io.Writer) error {
	if txs <= 0 || txs > 1_000_000 || rate <= 0 {
		return fmt.Errorf("-comet-txs must be in 1..1000000 and -comet-rate positive")
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	height, err := cometHeight(ctx, rpc)
	if err != nil {
		return err
	}
	submitted := make(map[string]time.Time, txs)
	var mu sync.Mutex
	start := time.Now()
	sendErr := make(chan error, 1)
	go func() {
		const batch = 100
		for i := 0; i < txs; i += batch {
			sleep(ctx, time.Until(start.Add(time.Duration(float64(i)/rate*float64(time.Second)))))
			var reqs []map[string]any
			now := time.Now()
			mu.Lock()
			for k := i; k < min(i+batch, txs); k++ {
				tx := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "bench-%d=%d", k, k))
				submitted[tx] = now
				reqs = append(reqs, map[string]any{"jsonrpc": "2.0", "id": k, "method": "broadcast_tx_async", "params": map[string]string{"tx": tx}})
			}
			mu.Unlock()
			var raw json.RawMessage
			if err := cometCall(ctx, rpc, reqs, &raw); err != nil {
				sendErr <- err
				return
			}
			var resps []struct {
				Error *struct {
					Message string `json:"message"`
					Data    string `json:"data"`
				} `json:"error"`
			}
			if err := json.Unmarshal(raw, &resps); err != nil { // a refused batch is one object
				sendErr <- fmt.Errorf("batch refused: %.300s", raw)
				return
			}
			for _, r := range resps {
				if r.Error != nil {
					sendErr <- fmt.Errorf("%s: %s", r.Error.Message, r.Error.Data)
					return
				}
			}
		}
		sendErr <- nil
	}()
	var lat []time.Duration
	var last time.Time
	shown := -1
	for len(lat) < txs {
		select {
		case err := <-sendErr:
			if err != nil {
				return fmt.Errorf("broadcast_tx_async: %w", err)
			}
		case <-ctx.Done():
			return fmt.Errorf("%d of %d transactions included before the timeout", len(lat), txs)
		case <-time.After(20 * time.Millisecond):
		}
		head, err := cometHeight(ctx, rpc)
		if err != nil {
			continue
		}
		for ; height < head; height++ {
			var b struct {
				Result struct {
					Block struct {
						Data struct {
							Txs []string `json:"txs"`
						} `json:"data"`
					} `json:"block"`
				} `json:"result"`
			}
			if err := cometGet(ctx, rpc+"/block?height="+strconv.FormatInt(height+1, 10), &b); err != nil {
				return err
			}
			now := time.Now()
			mu.Lock()
			for _, tx := range b.Result.Block.Data.Txs {
				if t, ok := submitted[tx]; ok {
					lat = append(lat, now.Sub(t))
					last = now
					delete(submitted, tx)
				}
			}
			mu.Unlock()
		}
		if len(lat) != shown {
			shown = len(lat)
			fmt.Fprintf(log, "\rcometbft: %d/%d included at height %d", shown, txs, height)
		}
	}
	slices.Sort(lat)
	fmt.Fprintln(log)
	fmt.Printf("cometbft committed_tps=%.1f p50_ms=%.1f\n", float64(len(lat))/last.Sub(start).Seconds(), float64(lat[len(lat)/2].Microseconds())/1000)
	return nil
}

func cometHeight(ctx context.Context, rpc string) (int64, error) {
	var s struct {
		Result struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := cometGet(ctx, rpc+"/status", &s); err != nil {
		return 0, err
	}
	return strconv.ParseInt(s.Result.SyncInfo.Height, 10, 64)
}

func cometGet(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	return cometDo(req, into)
}

func cometCall(ctx context.Context, rpc string, body, into any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rpc, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("content-type", "application/json")
	return cometDo(req, into)
}

func cometDo(req *http.Request, into any) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	if into == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(into)
}
