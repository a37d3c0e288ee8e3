package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/types"
)

// Handler serves every subnet's JSON-RPC at "/<subnet id>" and the root chain
// also at "/", over HTTP POST and WebSocket on the same path. It handles only
// RPC paths: the node mounts /metrics and the like beside it on its own mux.
type Handler struct {
	cfg    Config
	root   types.SubnetID
	quotas *quotas
	stop   chan struct{} // closed by Close: ends the filter sweep
	once   sync.Once
	mu     struct {
		sync.RWMutex
		subnets map[types.SubnetID]*subnetServer
	}
}

// subnetServer is one subnet's geth RPC server and the API state behind it.
type subnetServer struct {
	api *subnetAPI
	srv *gethrpc.Server
	ws  http.Handler
}

// NewHandler serves the given subnets; root is the one also served at "/"
// (it may be empty for a node that serves no root chain).
func NewHandler(backends map[types.SubnetID]Backend, root types.SubnetID, cfg Config) (*Handler, error) {
	cfg = cfg.withDefaults()
	h := &Handler{cfg: cfg, root: root, quotas: newQuotas(cfg), stop: make(chan struct{})}
	h.mu.subnets = make(map[types.SubnetID]*subnetServer)
	for id, b := range backends {
		if err := h.AddSubnet(id, b); err != nil {
			h.Close()
			return nil, err
		}
	}
	go h.sweepLoop()
	return h, nil
}

// sweepLoop drops idle filters a few times per FilterTimeout, so filters
// nobody polls free their quota even when no filter call comes to expire
// them. The ticker only paces the sweeps; what is idle is decided by the
// configured Clock.
func (h *Handler) sweepLoop() {
	t := time.NewTicker(max(h.cfg.FilterTimeout/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.expireFilters()
		case <-h.stop:
			return
		}
	}
}

// expireFilters drops every subnet's filters idle past FilterTimeout.
func (h *Handler) expireFilters() {
	h.mu.RLock()
	servers := make([]*subnetServer, 0, len(h.mu.subnets))
	for _, s := range h.mu.subnets {
		servers = append(servers, s)
	}
	h.mu.RUnlock()
	for _, s := range servers {
		s.api.filters.expire()
	}
}

// AddSubnet starts serving a subnet's API at "/<id>".
func (h *Handler) AddSubnet(id types.SubnetID, b Backend) error {
	if _, err := types.ParseSubnetID(string(id)); err != nil {
		return fmt.Errorf("rpc: add subnet: %w", err)
	}
	if b == nil {
		return fmt.Errorf("rpc: add subnet %s: nil backend", id)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.mu.subnets[id]; ok {
		return fmt.Errorf("%w: %s", ErrSubnetExists, id)
	}
	s, err := newSubnetServer(b, h.cfg, h.quotas)
	if err != nil {
		return fmt.Errorf("rpc: add subnet %s: %w", id, err)
	}
	h.mu.subnets[id] = s
	return nil
}

// RemoveSubnet stops serving a subnet: open WebSocket connections and their
// subscriptions are closed, installed filters dropped.
func (h *Handler) RemoveSubnet(id types.SubnetID) error {
	h.mu.Lock()
	s, ok := h.mu.subnets[id]
	delete(h.mu.subnets, id)
	h.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownSubnet, id)
	}
	s.stop()
	return nil
}

// Subnets lists the served subnets, sorted.
func (h *Handler) Subnets() []types.SubnetID {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ids := make([]types.SubnetID, 0, len(h.mu.subnets))
	for id := range h.mu.subnets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Close stops serving every subnet.
func (h *Handler) Close() {
	h.once.Do(func() { close(h.stop) })
	for _, id := range h.Subnets() {
		_ = h.RemoveSubnet(id)
	}
}

func (h *Handler) lookup(path string) *subnetServer {
	id := types.SubnetID(strings.TrimSuffix(path, "/"))
	if id == "" {
		id = h.root
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.mu.subnets[id]
}

// ServeHTTP routes a request to its subnet's server.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.lookup(r.URL.Path)
	if s == nil {
		served := make([]string, 0)
		for _, id := range h.Subnets() {
			served = append(served, string(id))
		}
		list := strings.Join(served, ", ")
		if list == "" {
			list = "nothing"
		}
		writeJSONError(w, http.StatusNotFound, codeResourceMissing,
			fmt.Sprintf("unknown subnet %s; this node serves: %s", r.URL.Path, list))
		return
	}
	if isWebsocket(r) {
		s.ws.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodPost && !h.checkBody(w, r) {
		return
	}
	s.srv.ServeHTTP(w, r)
}

// checkBody reads the body (up to the limit) so that an oversized body or
// batch gets a JSON-RPC error that says what is wrong; geth's server would
// answer the first with plain text and the second without the numbers.
func (h *Handler) checkBody(w http.ResponseWriter, r *http.Request) bool {
	limit := h.cfg.BodyLimit
	if r.ContentLength > int64(limit) {
		writeJSONError(w, http.StatusRequestEntityTooLarge, codeInvalidRequest,
			fmt.Sprintf("request body too large: %d bytes, the limit is %d", r.ContentLength, limit))
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, codeInvalidRequest, "reading request body: "+err.Error())
		return false
	}
	if len(body) > limit {
		writeJSONError(w, http.StatusRequestEntityTooLarge, codeInvalidRequest,
			fmt.Sprintf("request body too large: more than the %d-byte limit", limit))
		return false
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(trimmed, &batch) == nil && len(batch) > h.cfg.BatchItemLimit {
			msg := fmt.Sprintf("batch too large: %d calls, the limit is %d per batch; split it", len(batch), h.cfg.BatchItemLimit)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_ = json.NewEncoder(w).Encode([]jsonErrorMsg{newJSONErrorMsg(codeInvalidRequest, msg)})
			return false
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") &&
		strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

type jsonErrorMsg struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Error   struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func newJSONErrorMsg(code int, msg string) jsonErrorMsg {
	m := jsonErrorMsg{Version: "2.0", ID: json.RawMessage("null")}
	m.Error.Code, m.Error.Message = code, msg
	return m
}

func writeJSONError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(newJSONErrorMsg(code, msg))
}

func newSubnetServer(b Backend, cfg Config, q *quotas) (*subnetServer, error) {
	api := newSubnetAPI(b, cfg, q)
	srv := gethrpc.NewServer()
	srv.SetHTTPBodyLimit(cfg.BodyLimit)
	srv.SetBatchLimits(cfg.BatchItemLimit, cfg.BatchResponseSize)
	services := map[string]any{
		"eth":  &ethAPI{api},
		"net":  &netAPI{api},
		"web3": &web3API{api},
	}
	if cfg.Aspen != nil {
		services["aspen"] = cfg.Aspen
	}
	type service struct {
		ns   string
		recv any
	}
	list := make([]service, 0, len(services)+1)
	for ns, recv := range services {
		list = append(list, service{ns, recv})
	}
	// geth's server merges a second receiver into a namespace it has.
	if wb, ok := b.(WitnessBackend); ok {
		list = append(list, service{"aspen", &witnessAPI{api, wb}})
	}
	for _, s := range list {
		if err := srv.RegisterName(s.ns, s.recv); err != nil {
			srv.Stop()
			api.close()
			return nil, err
		}
	}
	return &subnetServer{api: api, srv: srv, ws: srv.WebsocketHandler(cfg.WSOrigins)}, nil
}

func (s *subnetServer) stop() {
	s.srv.Stop()
	s.api.close()
}
