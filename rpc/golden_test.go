package rpc

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/golden/*.txt with the current responses")

// TestGolden replays every request of testdata/golden/*.txt against a fresh
// populated in-memory chain and compares each response with the recorded one.
//
// Transcript lines: "--> request" is sent to /devnet, "<-- response" is what
// must come back, "!mine" commits the pool as a new block, "!advance 5m"
// moves the filter clock, "#" lines are comments. -rewrite records the
// current responses.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) { runGolden(t, file) })
	}
}

func runGolden(t *testing.T, file string) {
	h, chain, _, clock := newTestHandler(t)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "--> "):
			req := strings.TrimPrefix(line, "--> ")
			got := serve(h, req)
			out.WriteString(line + "\n<-- " + got + "\n")
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "<-- ") {
				i++
				if want := strings.TrimPrefix(lines[i], "<-- "); !*rewrite && got != want {
					t.Errorf("request %s\n got: %s\nwant: %s", req, got, want)
				}
			} else if !*rewrite {
				t.Errorf("request %s has no recorded response; run go test ./rpc -rewrite", req)
			}
		case line == "!mine":
			chain.Mine()
			out.WriteString(line + "\n")
		case strings.HasPrefix(line, "!advance "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "!advance "))
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(d)
			out.WriteString(line + "\n")
		case strings.HasPrefix(line, "<-- "):
			// a response without its request: rewriting drops it
		default:
			out.WriteString(line + "\n")
		}
	}
	if *rewrite {
		if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func serve(h http.Handler, body string) string {
	req := httptest.NewRequest(http.MethodPost, "/devnet", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return strings.TrimRight(rec.Body.String(), "\n")
}
