package rpc

import "net/http"

// NewHTTPServer is the http.Server a node serves its RPC port with: handler
// (the RPC Handler, usually on a mux beside /metrics) behind timeouts, so a
// client that trickles a request, never reads its answer or idles on a
// keep-alive connection cannot hold a connection and its goroutine for ever.
// Zero timeouts in cfg take the defaults. A WebSocket upgrade clears the
// deadlines (gorilla/websocket does), so long-lived subscriptions are not cut.
func NewHTTPServer(handler http.Handler, cfg Config) *http.Server {
	cfg = cfg.withDefaults()
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
	}
}
