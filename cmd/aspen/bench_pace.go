package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

// pacer spreads submissions over time at a fixed offered rate: the batch
// that takes transactions k..k+n-1 leaves no earlier than start + k/rate,
// whichever connection sends it.
type pacer struct {
	start    time.Time
	rate     float64 // transactions per second; 0: no pacing
	reserved atomic.Int64
}

func newPacer(start time.Time, rate float64) *pacer {
	return &pacer{start: start, rate: rate}
}

// wait reserves n transactions and sleeps until they are due; false if ctx ended.
func (p *pacer) wait(ctx context.Context, n int) bool {
	if p.rate <= 0 {
		return ctx.Err() == nil
	}
	d := time.Until(p.due(p.reserved.Add(int64(n)) - int64(n)))
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// due is when the transaction numbered k (from 0) may leave.
func (p *pacer) due(k int64) time.Time {
	return p.start.Add(time.Duration(float64(k) / p.rate * float64(time.Second)))
}

// fetchProfile takes a CPU profile of seconds from the node serving rpcURL
// (pprof on its RPC port, ASPEN_PPROF=1) and writes it to out.
func fetchProfile(ctx context.Context, rpcURL string, seconds int, out string) error {
	u, err := url.Parse(rpcURL)
	if err != nil {
		return fmt.Errorf("--rpc %q: %w", rpcURL, err)
	}
	u.Path, u.RawQuery = "/debug/pprof/profile", fmt.Sprintf("seconds=%d", seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s (does the node run with ASPEN_PPROF=1?)", u, resp.Status)
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("--pprof-out: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("profile %s: %w", u, err)
	}
	return f.Close()
}
