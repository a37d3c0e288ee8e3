package rpctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
)

// RPCError is a JSON-RPC error response.
type RPCError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("json-rpc error %d: %s", e.Code, e.Message) }

// Caller sends one JSON-RPC request and returns the raw result or the error.
type Caller interface {
	Call(ctx context.Context, method string, params ...any) (json.RawMessage, error)
}

type httpCaller struct {
	do func(ctx context.Context, body []byte) ([]byte, error)
	id atomic.Int64
}

// NewHTTPCaller calls a JSON-RPC endpoint over HTTP.
func NewHTTPCaller(url string) Caller {
	return &httpCaller{do: func(ctx context.Context, body []byte) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}}
}

// NewHandlerCaller calls an http.Handler in process, at path.
func NewHandlerCaller(h http.Handler, path string) Caller {
	return &httpCaller{do: func(ctx context.Context, body []byte) ([]byte, error) {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.Bytes(), nil
	}}
}

func (c *httpCaller) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id.Add(1), "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	out, err := c.do(ctx, body)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("%s: response is not JSON-RPC: %v: %q", method, err, out)
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	if resp.Result == nil {
		return nil, fmt.Errorf("%s: response has neither result nor error: %q", method, out)
	}
	return resp.Result, nil
}
