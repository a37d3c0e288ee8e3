package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/config"
)

// nodeProc is one `aspen node` child process of a devnet.
type nodeProc struct {
	name    string
	cfg     *config.Node
	cmd     *exec.Cmd
	logPath string
	restart []string
	done    chan struct{} // closed when the process has exited; err is set then
	err     error
}

// startNode starts `aspen node --home` for cfg; when the process exits, the
// nodeProc is sent on died (which must have room for every node).
func startNode(self string, cfg *config.Node, died chan<- *nodeProc) (*nodeProc, error) {
	logPath := filepath.Join(cfg.Home, "node.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	args := []string{self, "node", "--home", cfg.Home}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a Ctrl-C in the terminal reaches devnet, which then
	// stops the nodes in order, rather than every node at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	p := &nodeProc{name: cfg.Name, cfg: cfg, cmd: cmd, logPath: logPath, restart: args, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if p.err == nil {
			p.err = fmt.Errorf("exit status 0")
		}
		logf.Close()
		close(p.done)
		died <- p
	}()
	return p, nil
}

// stopNodes sends SIGTERM to every live node, waits up to 15 s, then kills.
func stopNodes(out io.Writer, procs []*nodeProc) {
	for _, p := range procs {
		if !alive(p) {
			continue
		}
		_ = p.signal(syscall.SIGTERM)
	}
	deadline := time.After(15 * time.Second)
	for _, p := range procs {
		select {
		case <-p.done:
		case <-deadline:
			fmt.Fprintf(out, "%s did not stop within 15s; killing it\n", p.name)
			_ = p.signal(syscall.SIGKILL)
			<-p.done
		}
	}
}

func (p *nodeProc) signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

func alive(p *nodeProc) bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// waitFirstBlock waits until every node reports block 1 or later.
func waitFirstBlock(ctx context.Context, procs []*nodeProc, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for _, p := range procs {
		for {
			n, err := blockNumber(ctx, "http://"+p.cfg.RPC.Listen)
			if err == nil && n >= 1 {
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s: %w (%v); last lines of %s:\n%s", p.name, errNodeDied, p.err, p.logPath, tail(p.logPath, 20))
			case <-ctx.Done():
				return fmt.Errorf("%s has no block after %s (last error: %v); see %s:\n%s", p.name, timeout, err, p.logPath, tail(p.logPath, 20))
			case <-poll.C:
			}
		}
	}
	return nil
}

func blockNumber(ctx context.Context, url string) (uint64, error) {
	body := `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Result hexutil.Uint64 `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Error != nil {
		return 0, fmt.Errorf("%s", r.Error.Message)
	}
	return uint64(r.Result), nil
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

func printDevnet(out io.Writer, m *manifest, resumed bool, path string) {
	verb := "Started"
	if resumed {
		verb = "Resumed"
	}
	fmt.Fprintf(out, "\n%s Aspen devnet %s\n\n", verb, m.Network)
	fmt.Fprintf(out, "Available Accounts\n==================\n")
	for i, a := range m.Accounts {
		fmt.Fprintf(out, "(%d) %s (%d ETH)\n", i, a.Address.Hex(), fundCoins)
	}
	fmt.Fprintf(out, "\nPrivate Keys\n==================\n")
	for i, a := range m.Accounts {
		fmt.Fprintf(out, "(%d) %s\n", i, a.PrivateKey)
	}
	fmt.Fprintf(out, "\nWallet\n==================\nMnemonic:        %s\nDerivation path: m/44'/60'/0'/0/\n", m.Mnemonic)
	fmt.Fprintf(out, "\nSubnets\n==================\n")
	for _, s := range m.Subnets {
		fmt.Fprintf(out, "%-16s %-5s chain ID %d\n", s.ID, s.Engine, s.ChainID)
		for i := range s.RPC {
			fmt.Fprintf(out, "    %s   %s\n", s.RPC[i], s.WS[i])
		}
	}
	fmt.Fprintf(out, "\nNodes\n==================\n")
	for _, n := range m.Nodes {
		fmt.Fprintf(out, "%-6s pid %-7d %s  account %s\n       log %s\n", n.Name, n.PID, n.RPC, n.Account.Hex(), n.Log)
	}
	if m.Jury != nil {
		fmt.Fprintf(out, "\nJury\n==================\n%d node accounts bonded %s coin each on %s: `aspen jury list --chain %s --rpc %s`\n",
			len(m.Jury.Jurors), m.Jury.Bond, m.Jury.Chain, m.Jury.Chain, m.Nodes[0].RPC)
	}
	fmt.Fprintf(out, "\nGateway: %s\nWrote %s\n\nListening on %s\nPress Ctrl-C to stop.\n", m.Gateway, path, strings.TrimPrefix(m.Nodes[0].RPC, "http://"))
}
