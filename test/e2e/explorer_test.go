package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// browserPath finds a Chromium to drive. Without one the test skips,
// unless ASPEN_REQUIRE_BROWSER is set (CI sets it), then it fails.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ASPEN_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH and ASPEN_REQUIRE_BROWSER is set: install Debian's chromium package")
	}
	t.Skip("no chromium on PATH: install Debian's chromium package (or set ASPEN_REQUIRE_BROWSER=1 to make this a failure)")
	return ""
}

// screenshotDir is where the pages' screenshots go: $ASPEN_SCREENSHOTS, or
// a directory of the test's own.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("ASPEN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// page is one browser tab on the explorer, collecting what the page
// reports as an error (console, uncaught exceptions, failed loads).
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	mu   struct {
		sync.Mutex
		errors []string
	}
}

func openExplorer(t *testing.T, base string) *page {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	p := &page{t: t, ctx: ctx, base: base, dir: screenshotDir(t)}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				p.mu.Lock()
				p.mu.errors = append(p.mu.errors, fmt.Sprintf("%s (%s:%d)", m.String(), m.URL, m.Line))
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { cancel(); cancelAlloc(); <-done })
	p.run("open the explorer", chromedp.Navigate(base+"/explorer/"))
	return p
}

func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v\nerrors the page reported: %v", what, err, p.errors())
	}
}

// eval runs js in the page and returns its value.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v\nerrors the page reported: %v", js, err, p.errors())
	}
	return v
}

// waitJS polls a JavaScript condition until it holds; on a timeout it
// reports where the page is and what it shows.
func (p *page) waitJS(what string, timeout time.Duration, js string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			at := eval[string](p, `location.hash + "\n" + document.querySelector('main').innerText`)
			p.t.Fatalf("timed out after %s waiting for %s (last error %v); the page is at %s\nerrors the page reported: %v", timeout, what, err, at, p.errors())
		}
		<-tick.C
	}
}

func (p *page) goTo(fragment string) {
	p.t.Helper()
	eval[string](p, fmt.Sprintf("location.hash = %q", fragment))
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

func (p *page) errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.mu.errors...)
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf("(document.querySelector(%q) || {textContent: ''}).textContent", sel))
}

// TestExplorer drives the explorer node1 serves on the default devnet in
// headless Chromium: the tree shows the four subnets and follows new
// blocks, a fund made during the test shows as a gateway call on the root
// and as applied on the child with both hops on its message page, its
// sender's address page lists it from the node's index, search
// finds the fund's transaction, the node's metrics count the child's queues,
// a subnet created during the test appears and leaves the tree once killed,
// the page fits a phone's width, and nothing logs an error.
func TestExplorer(t *testing.T) {
	t.Parallel()
	browserPath(t) // skip before starting a devnet for nothing
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	base := d.m.Nodes[1].RPC
	p := openExplorer(t, base)

	// The tree: every subnet of the devnet, each served by node1.
	want := []string{"/devnet", "/devnet/alpha", "/devnet/alpha/one", "/devnet/beta"}
	p.waitJS("the tree's four subnets", time.Minute, `document.querySelectorAll('li.node[data-subnet]').length === 4`)
	shown := eval[[]string](p, `Array.from(document.querySelectorAll('li.node[data-subnet]'), e => e.dataset.subnet)`)
	sort.Strings(shown)
	if strings.Join(shown, " ") != strings.Join(want, " ") {
		t.Fatalf("the tree shows %v, want %v", shown, want)
	}
	for _, id := range want[1:] {
		card := p.text(fmt.Sprintf(`li.node[data-subnet=%q]`, id))
		if !strings.Contains(card, "circulating supply") || !strings.Contains(card, "last checkpoint") {
			t.Fatalf("%s's card lacks its parent's records:\n%s", id, card)
		}
	}

	// Live: the root's height on the page follows the chain. The time from
	// the node's notification (seen by a Go subscriber on the same machine)
	// to the page showing the block is logged, not asserted.
	ws, err := gethrpc.Dial(strings.Replace(base, "http://", "ws://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	heads := make(chan *gethtypes.Header, 64)
	sub, err := ws.EthSubscribe(context.Background(), heads, "newHeads")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	var h *gethtypes.Header
	select {
	case h = <-heads:
	case <-time.After(30 * time.Second):
		t.Fatal("no new head on /devnet within 30s")
	}
	goSaw := time.Now()
	n := h.Number.Uint64()
	p.waitJS("the tree to show height "+strconv.FormatUint(n, 10), 30*time.Second,
		fmt.Sprintf(`(window.aspenHeads['/devnet'] || {number: 0}).number >= %d`, n))
	shownWall := eval[float64](p, fmt.Sprintf(`(() => { const c = document.querySelector('li.node[data-subnet="/devnet"] .height'); return Number(c.textContent.replace(/,/g, '')) >= %d ? window.aspenHeads['/devnet'].shownWall : -1 })()`, n))
	if shownWall < 0 {
		t.Fatalf("window.aspenHeads says block %d arrived but the tree's /devnet card does not show it", n)
	}
	t.Logf("tree page showed /devnet block %d %.1f ms after a Go subscriber was told of it", n, shownWall-float64(goSaw.UnixNano())/1e6)
	p.screenshot("tree")

	// A fund from the root to alpha, made now.
	to := common.HexToAddress("0x00000000000000000000000000000000000e4b10")
	var fund fundAnswer
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "fund", "/devnet/alpha", "--to", to.Hex(), "--value", "3", "--home", filepath.Join(d.home, "node1"), "--json")), &fund); err != nil {
		t.Fatal(err)
	}

	// Its message page: sent on the root, then applied on alpha.
	p.goTo("/msg?id=" + fund.MsgID.Hex())
	p.waitJS("the fund's hop on /devnet/alpha to be applied", 90*time.Second,
		`!!document.querySelector('li.hop[data-chain="/devnet/alpha"][data-state="applied"]')`)
	hops := eval[[]string](p, `Array.from(document.querySelectorAll('li.hop'), e => e.dataset.chain + ' ' + e.dataset.state)`)
	if strings.Join(hops, ", ") != "/devnet sent, /devnet/alpha applied" {
		t.Fatalf("message page hops %v, want [/devnet sent, /devnet/alpha applied]", hops)
	}
	links := eval[[]string](p, `Array.from(document.querySelectorAll('li.hop a'), a => a.getAttribute('href'))`)
	if !containsPrefix(links, "#/tx?s=/devnet&h="+strings.ToLower(fund.Tx.Hex())) || !containsPrefix(links, "#/block?s=/devnet/alpha&n=") {
		t.Fatalf("hop links %v: want the fund's tx on /devnet and the applying block on /devnet/alpha", links)
	}
	p.screenshot("message")

	// The child's applying block shows the message as a system log.
	alphaBlock := eval[string](p, `document.querySelector('li.hop[data-chain="/devnet/alpha"] a[href^="#/block"]').getAttribute('href')`)
	p.goTo(strings.TrimPrefix(alphaBlock, "#"))
	p.waitJS("the applying block's system log", 30*time.Second, `[...document.querySelectorAll('.log h3')].some(h => h.innerText.startsWith('CrossMsgApplied'))`)
	p.screenshot("block")

	// The credit shows on alpha's side of the address page, nothing on the root.
	p.goTo("/address?s=/devnet/alpha&a=" + to.Hex())
	p.waitJS("the address page", 30*time.Second, `document.querySelectorAll('tbody tr').length >= 4`)
	balances := eval[map[string]string](p, `Object.fromEntries(Array.from(document.querySelectorAll('tbody tr'), r => [r.cells[0].innerText, r.cells[1].innerText]))`)
	if balances["/devnet/alpha"] != "3 coins" || balances["/devnet"] != "0 coins" {
		t.Fatalf("address page balances %v: want 3 coins on /devnet/alpha and none on /devnet", balances)
	}

	// The fund's sender lists it on the root, from the node's index of
	// transactions by address, decoded as a gateway fund.
	var sender struct {
		From common.Address `json:"from"`
	}
	if err := ws.Call(&sender, "eth_getTransactionByHash", fund.Tx); err != nil {
		t.Fatal(err)
	}
	p.goTo("/address?s=/devnet&a=" + sender.From.Hex())
	row := fmt.Sprintf(`document.querySelector('tr[data-tx=%q]')`, strings.ToLower(fund.Tx.Hex()))
	p.waitJS("the fund among its sender's transactions", 30*time.Second, `!!`+row)
	if cells := eval[[]string](p, `Array.from(`+row+`.cells, c => c.innerText)`); len(cells) != 5 || cells[2] != "out" || cells[3] != "fund" || cells[4] != "3 coins" {
		t.Fatalf("the fund's row on its sender's page reads %v, want out, fund, 3 coins", cells)
	}
	p.screenshot("address")

	// Search, from the keyboard: "/" focuses the box, the fund's hash finds
	// its transaction, decoded as a gateway fund.
	p.goTo("/")
	p.waitJS("the tree", 30*time.Second, `document.querySelectorAll('li.node[data-subnet]').length === 4`)
	p.run("search for the fund's tx",
		chromedp.KeyEvent("/"),
		chromedp.WaitVisible(chromedp.CSS(`#q:focus`)),
		// The protocol's key events type the "/" too, which a real keyboard's
		// cancelled keydown does not: start from an empty box.
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('q').value = ''`))
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(`#q`), fund.Tx.Hex()+"\r"))
	p.waitJS("the fund's transaction page", 30*time.Second,
		`location.hash.startsWith('#/tx?') && [...document.querySelectorAll('h2')].some(h => h.innerText === 'Call: fund')`)
	hash := eval[string](p, `location.hash`)
	if !strings.Contains(hash, "s=/devnet&") || !strings.Contains(strings.ToLower(hash), strings.ToLower(fund.Tx.Hex())) {
		t.Fatalf("search landed on %s, want the fund's tx on /devnet", hash)
	}
	if body := p.text("main"); !strings.Contains(body, "/devnet/alpha") || !strings.Contains(body, "CrossMsgSent") {
		t.Fatalf("the fund's tx page lacks its decoded childId or CrossMsgSent log:\n%s", body)
	}
	p.screenshot("tx")

	// The node's metrics: each child's checkpoint lag and queues, and the
	// fund, applied on alpha, no longer queued down to it.
	metrics := scrape(t, base+"/metrics")
	for _, id := range want[1:] {
		for _, series := range []string{
			`aspen_checkpoint_lag_blocks{subnet="` + id + `"}`,
			`aspen_crossmsg_queue_depth{direction="up",subnet="` + id + `"}`,
			`aspen_crossmsg_queue_depth{direction="down",subnet="` + id + `"}`,
		} {
			if _, ok := metrics[series]; !ok {
				t.Fatalf("node1's /metrics lacks %s", series)
			}
		}
	}
	if q := metrics[`aspen_crossmsg_queue_depth{direction="down",subnet="/devnet/alpha"}`]; q != 0 {
		t.Fatalf("the fund was applied on /devnet/alpha, yet node1 counts %v messages queued down to it", q)
	}

	// Subnets come and go: one created, joined and started during the test
	// shows in the tree, and leaves it once killed.
	scratch := "/devnet/scratch"
	node1 := filepath.Join(d.home, "node1")
	comeAndGo := time.Now()
	p.goTo("/")
	p.waitJS("the tree", 30*time.Second, `document.querySelectorAll('li.node[data-subnet]').length === 4`)
	aspen(t, "subnet", "create", scratch, "--engine", "bft", "--min-validators", "1", "--min-collateral", "1", "--block-time", "200ms", "--home", node1, "--json")
	aspen(t, "subnet", "join", scratch, "--collateral", "1", "--home", node1, "--json")
	scratchCard := fmt.Sprintf(`document.querySelector('li.node[data-subnet=%q]')`, scratch)
	p.waitJS(scratch+" in the tree, served by node1", 30*time.Second, `!!`+scratchCard+`?.querySelector('h3 a')`)
	p.screenshot("tree-created")
	aspen(t, "subnet", "kill", scratch, "--home", node1, "--json")
	p.waitJS(scratch+" to leave the tree", 30*time.Second,
		`!`+scratchCard+` && document.querySelectorAll('li.node[data-subnet]').length === 4`)
	if note := p.text("main section > p.muted"); !strings.Contains(note, "1 killed (hidden)") {
		t.Fatalf("the tree's summary after the kill says %q, want it to count 1 killed subnet", note)
	}
	t.Logf("%s created, started, shown, killed and gone from the tree in %s", scratch, time.Since(comeAndGo).Round(time.Millisecond))
	p.screenshot("tree-killed")

	// A phone's width: nothing wider than the screen.
	p.run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
	p.goTo("/")
	p.waitJS("the tree on a phone", 30*time.Second, `document.querySelectorAll('li.node[data-subnet]').length === 4`)
	overflow := eval[float64](p, `document.documentElement.scrollWidth - window.innerWidth`)
	if overflow > 0 {
		t.Fatalf("on a 390px screen the tree page is %vpx wider than the screen", overflow)
	}
	p.screenshot("tree-phone")
	p.goTo("/msg?id=" + fund.MsgID.Hex())
	p.waitJS("the message page on a phone", 30*time.Second, `document.querySelectorAll('li.hop').length === 2`)
	overflow = eval[float64](p, `document.documentElement.scrollWidth - window.innerWidth`)
	if overflow > 0 {
		t.Fatalf("on a 390px screen the message page is %vpx wider than the screen", overflow)
	}
	p.screenshot("message-phone")

	if errs := p.errors(); len(errs) > 0 {
		t.Fatalf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// scrape reads a Prometheus text page as series -> value, series written
// as name{labels} the way the page prints them.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("GET %s: unreadable line %q", url, line)
		}
		out[line[:i]] = v
	}
	return out
}

// fundAnswer is what `aspen xfer fund --json` prints, as far as this test reads it.
type fundAnswer struct {
	MsgID common.Hash `json:"msgId"`
	Tx    common.Hash `json:"tx"`
}

func containsPrefix(xs []string, prefix string) bool {
	for _, x := range xs {
		if strings.HasPrefix(strings.ToLower(x), strings.ToLower(prefix)) {
			return true
		}
	}
	return false
}
