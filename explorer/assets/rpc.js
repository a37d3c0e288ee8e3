// JSON-RPC to the node that served this page: HTTP POST for calls, a
// WebSocket eth_subscribe for new heads. A subnet's endpoint is its path.

export class RPCError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}

let nextID = 1;

function endpoint(subnet) { return subnet || '/'; }

// call runs one method on subnet's chain.
export async function call(subnet, method, params = []) {
  const res = await fetch(endpoint(subnet), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextID++, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new RPCError(`${method}: ${body.error.message}`, body.error.code);
  return body.result;
}

// batch runs several [method, params] pairs in one request; results in order
// (an entry that failed is an RPCError).
export async function batch(subnet, calls) {
  if (calls.length === 0) return [];
  const first = nextID;
  nextID += calls.length;
  const res = await fetch(endpoint(subnet), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map(([method, params], i) => ({ jsonrpc: '2.0', id: first + i, method, params: params || [] }))),
  });
  const body = await res.json();
  if (!Array.isArray(body)) throw new RPCError(body.error ? body.error.message : 'batch refused', body.error && body.error.code);
  const out = new Array(calls.length);
  for (const r of body) {
    out[r.id - first] = r.error ? new RPCError(`${calls[r.id - first][0]}: ${r.error.message}`, r.error.code) : r.result;
  }
  return out;
}

// Heads follows new blocks of a set of subnets: one WebSocket per subnet,
// and polling for a subnet whose WebSocket the node refuses (a page opened
// from another machine than rpc.ws_origins allows).
export class Heads {
  // onLost(id) is asked, when a working socket closes, whether the node
  // still serves id (a promise); polling starts only if it still follows id.
  constructor(onHead, onState, onLost) {
    this.onHead = onHead;
    this.onState = onState;
    this.onLost = onLost;
    this.subs = new Map(); // subnet -> {ws, timer}
    this.mode = 'connecting';
  }

  // follow makes the followed subnets exactly ids.
  follow(ids) {
    const want = new Set(ids);
    for (const [id, s] of this.subs) {
      if (!want.has(id)) { this.drop(s); this.subs.delete(id); }
    }
    for (const id of want) if (!this.subs.has(id)) this.subs.set(id, this.open(id));
  }

  drop(s) {
    s.closed = true;
    if (s.ws) s.ws.close();
    if (s.timer) clearInterval(s.timer);
  }

  open(id) {
    const s = { id, closed: false, ws: null, timer: null, last: null };
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${id}`;
    let opened = false;
    try {
      s.ws = new WebSocket(url);
    } catch (e) {
      this.poll(s);
      return s;
    }
    s.ws.onopen = () => {
      opened = true;
      s.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
      this.state('live');
    };
    s.ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (msg.method === 'eth_subscription' && msg.params && msg.params.result) this.onHead(id, msg.params.result, performance.now());
    };
    s.ws.onclose = () => {
      s.ws = null;
      if (s.closed) return;
      if (!opened || !this.onLost) { this.poll(s); return; }
      // A subnet the node stopped serving (killed, left) closes its sockets:
      // refresh the tree first, which drops it, rather than poll an
      // endpoint that is gone. Otherwise keep the page current by polling.
      Promise.resolve().then(() => this.onLost(id)).catch(() => {}).finally(() => {
        if (!s.closed) this.poll(s);
      });
    };
    return s;
  }

  poll(s) {
    if (s.timer || s.closed) return;
    this.state('polling');
    const tick = async () => {
      try {
        const b = await call(s.id, 'eth_getBlockByNumber', ['latest', false]);
        if (b && b.hash !== s.last) { s.last = b.hash; this.onHead(s.id, b, performance.now()); }
      } catch (e) { /* the subnet may be gone; the tree refresh decides */ }
    };
    s.timer = setInterval(tick, 2000);
    tick();
  }

  state(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.onState(mode);
  }
}
