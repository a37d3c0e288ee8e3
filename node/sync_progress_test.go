package node

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestSyncProgressLog: a long sync logs where it started, its height,
// target, rate and ETA every syncLogEvery, and how it ended; a gap of a few
// blocks (a follower a block behind) logs nothing at info level.
func TestSyncProgressLog(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	claims := []peerClaim{{peer: "a", height: 1000}, {peer: "b", height: 1100}}

	p := syncProgress{now: now}
	p.log(log, 100, claims) // started, 1000 behind the highest claim
	clock = clock.Add(2 * time.Second)
	p.log(log, 300, claims) // too soon for a line
	clock = clock.Add(3 * time.Second)
	p.log(log, 600, claims) // 500 blocks in 5s: 100/s, 500 left: 5s
	p.caughtUp(log, 1100)
	want := `level=INFO msg="block sync started" height=100 target=1100
level=INFO msg="block sync progress" height=600 target=1100 blocks_per_sec=100 eta=5s
level=INFO msg="block sync done" height=1100 took=5s blocks_per_sec=200
`
	if buf.String() != want {
		t.Fatalf("logged:\n%s\nwant:\n%s", buf.String(), want)
	}

	buf.Reset()
	q := syncProgress{now: now}
	q.log(log, 1098, claims[1:])
	clock = clock.Add(time.Minute)
	q.log(log, 1099, claims[1:])
	q.caughtUp(log, 1100)
	if strings.TrimSpace(buf.String()) != "" {
		t.Fatalf("a sync two blocks behind logged at info:\n%s", buf.String())
	}
}
