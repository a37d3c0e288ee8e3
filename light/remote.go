package light

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/types"
)

// Limits bound what the client reads from a server.
type Limits struct {
	// MaxBody is the largest answer read, in bytes; a larger one is an
	// error and is not parsed.
	MaxBody int64
	// Timeout bounds one call, connection to last byte.
	Timeout time.Duration
}

// DefaultLimits: a checkpoint may be 1 MiB (types.MaxCheckpointSize), hex
// doubles it; 10 s per call.
var DefaultLimits = Limits{MaxBody: 3 << 20, Timeout: 10 * time.Second}

// Remote is a node's JSON-RPC endpoint: base is its root URL, subnets are
// served at base + subnet ID. It is the client's only way to the network,
// and it trusts nothing it reads.
type Remote struct {
	base   string
	limits Limits
	http   *http.Client
	read   atomic.Int64 // bytes of answers read, for measurements
}

// NewRemote returns the endpoint at base (e.g. http://127.0.0.1:8545).
func NewRemote(base string, limits Limits) *Remote {
	if limits.MaxBody == 0 {
		limits.MaxBody = DefaultLimits.MaxBody
	}
	if limits.Timeout == 0 {
		limits.Timeout = DefaultLimits.Timeout
	}
	return &Remote{base: strings.TrimRight(base, "/"), limits: limits, http: &http.Client{Timeout: limits.Timeout}}
}

// BytesRead is how many bytes of answers the remote has read so far.
func (r *Remote) BytesRead() int64 { return r.read.Load() }

type rpcRequest struct {
	Version string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call runs method on the chain at path ("" for the root URL) and decodes
// its result into out.
func (r *Remote) call(ctx context.Context, path types.SubnetID, out any, method string, params ...any) error {
	ctx, cancel := context.WithTimeout(ctx, r.limits.Timeout)
	defer cancel()
	body, err := json.Marshal(rpcRequest{Version: "2.0", ID: 1, Method: method, Params: params})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+string(path), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrResponse, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrResponse, method, r.base+string(path), err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > r.limits.MaxBody {
		return fmt.Errorf("%w: %s: answer of %d bytes, over the limit of %d", ErrResponse, method, resp.ContentLength, r.limits.MaxBody)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.limits.MaxBody+1))
	r.read.Add(int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: %s: reading the answer: %v", ErrResponse, method, err)
	}
	if int64(len(data)) > r.limits.MaxBody {
		return fmt.Errorf("%w: %s: answer over the limit of %d bytes", ErrResponse, method, r.limits.MaxBody)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s: HTTP %s", ErrResponse, method, resp.Status)
	}
	var res rpcResponse
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrResponse, method, err)
	}
	if res.Error != nil {
		return fmt.Errorf("%w: %s: server error %d: %s", ErrResponse, method, res.Error.Code, res.Error.Message)
	}
	if len(res.Result) == 0 || string(res.Result) == "null" {
		return fmt.Errorf("%w: %s: empty result", ErrResponse, method)
	}
	if err := json.Unmarshal(res.Result, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrResponse, method, err)
	}
	return nil
}

// rawLightBlock is aspen_getLightBlock's answer (node.LightBlock).
type rawLightBlock struct {
	Header     hexutil.Bytes `json:"header"`
	Commit     hexutil.Bytes `json:"commit"`
	Validators hexutil.Bytes `json:"validators"`
}

func (b *rawLightBlock) size() int { return len(b.Header) + len(b.Commit) + len(b.Validators) }

// lightBlock fetches the final block of subnet at height (0: the newest).
func (r *Remote) lightBlock(ctx context.Context, subnet types.SubnetID, height uint64) (*rawLightBlock, error) {
	var h any
	if height > 0 {
		h = hexutil.Uint64(height)
	}
	out := new(rawLightBlock)
	return out, r.call(ctx, "", out, "aspen_getLightBlock", string(subnet), h)
}

// rawCheckpointProof is aspen_getCheckpointProof's answer (node.CheckpointProof).
type rawCheckpointProof struct {
	Subnet       string          `json:"subnet"`
	ParentHeight hexutil.Uint64  `json:"parentHeight"`
	Checkpoints  []hexutil.Bytes `json:"checkpoints"`
	AccountProof []hexutil.Bytes `json:"accountProof"`
	StorageProof []hexutil.Bytes `json:"storageProof"`
}

func (p *rawCheckpointProof) size() int {
	n := 0
	for _, b := range p.Checkpoints {
		n += len(b)
	}
	return n + proofSize(p.AccountProof) + proofSize(p.StorageProof)
}

func proofSize(p []hexutil.Bytes) int {
	n := 0
	for _, b := range p {
		n += len(b)
	}
	return n
}

// checkpointProof fetches the checkpoints of child committed by its parent
// as of parentHeight, down to height from (0: the newest only).
func (r *Remote) checkpointProof(ctx context.Context, child types.SubnetID, parentHeight, from uint64) (*rawCheckpointProof, error) {
	var f any
	if from > 0 {
		f = hexutil.Uint64(from)
	}
	out := new(rawCheckpointProof)
	return out, r.call(ctx, "", out, "aspen_getCheckpointProof", string(child), hexutil.Uint64(parentHeight), f)
}

// rawAccountProof is eth_getProof's answer.
type rawAccountProof struct {
	Address      common.Address  `json:"address"`
	AccountProof []hexutil.Bytes `json:"accountProof"`
	StorageProof []struct {
		Key   string          `json:"key"`
		Proof []hexutil.Bytes `json:"proof"`
	} `json:"storageProof"`
}

func (p *rawAccountProof) size() int {
	n := proofSize(p.AccountProof)
	for _, s := range p.StorageProof {
		n += proofSize(s.Proof)
	}
	return n
}

// accountProof runs eth_getProof on subnet at height.
func (r *Remote) accountProof(ctx context.Context, subnet types.SubnetID, addr common.Address, slots []common.Hash, height uint64) (*rawAccountProof, error) {
	keys := make([]string, len(slots))
	for i, s := range slots {
		keys[i] = s.Hex()
	}
	out := new(rawAccountProof)
	return out, r.call(ctx, subnet, out, "eth_getProof", addr, keys, hexutil.Uint64(height))
}

// code runs eth_getCode on subnet at height.
func (r *Remote) code(ctx context.Context, subnet types.SubnetID, addr common.Address, height uint64) ([]byte, error) {
	var out hexutil.Bytes
	return out, r.call(ctx, subnet, &out, "eth_getCode", addr, hexutil.Uint64(height))
}

// rawCrossMsgProof is aspen_getCrossMsgProof's answer (node.CrossMsgProof).
type rawCrossMsgProof struct {
	Proof      json.RawMessage `json:"proof"`
	Checkpoint hexutil.Bytes   `json:"checkpoint"`
	Parent     string          `json:"parent"`
}

func (r *Remote) crossMsgProof(ctx context.Context, id common.Hash) (*rawCrossMsgProof, error) {
	out := new(rawCrossMsgProof)
	return out, r.call(ctx, "", out, "aspen_getCrossMsgProof", id)
}

// rootGenesis fetches the root's genesis file, for a client that trusts its hash.
func (r *Remote) rootGenesis(ctx context.Context) ([]byte, error) {
	var out hexutil.Bytes
	return out, r.call(ctx, "", &out, "aspen_getRootGenesis")
}
