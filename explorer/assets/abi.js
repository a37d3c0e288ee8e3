// Decoding of the gateway's calls and events from gateway-abi.json, which
// the node computes (selectors and topics) so the page needs no Keccak.

let abi = null;

export async function loadABI() {
  if (!abi) {
    const res = await fetch('gateway-abi.json');
    abi = await res.json();
    abi.address = abi.address.toLowerCase();
  }
  return abi;
}

export function gatewayABI() { return abi; }

export function isGateway(addr) { return !!abi && !!addr && addr.toLowerCase() === abi.address; }

function bytesOf(hex) {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}

function hexOf(b) { return '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''); }

class Reader {
  constructor(bytes) { this.b = bytes; }
  word(at) {
    if (at < 0 || at + 32 > this.b.length) throw new Error(`ABI data too short: word at ${at} of ${this.b.length} bytes`);
    return this.b.subarray(at, at + 32);
  }
  uint(at) { return BigInt(hexOf(this.word(at))); }
  num(at) {
    const v = this.uint(at);
    if (v > BigInt(this.b.length)) throw new Error(`ABI offset ${v} past the data's ${this.b.length} bytes`);
    return Number(v);
  }
}

function dynamic(t) {
  switch (t.kind) {
    case 'bytes': case 'string': case 'slice': return true;
    case 'array': return dynamic(t.elem);
    case 'tuple': return t.components.some((c) => dynamic(c.type));
    default: return false;
  }
}

function headSize(t) {
  if (dynamic(t)) return 32;
  if (t.kind === 'tuple') return t.components.reduce((n, c) => n + headSize(c.type), 0);
  if (t.kind === 'array') return t.size * headSize(t.elem);
  return 32;
}

function readSeq(r, types, base) {
  const out = [];
  let pos = base;
  for (const t of types) {
    if (dynamic(t)) { out.push(readValue(r, t, base + r.num(pos))); pos += 32; } else { out.push(readValue(r, t, pos)); pos += headSize(t); }
  }
  return out;
}

function readValue(r, t, at) {
  switch (t.kind) {
    case 'uint': return r.uint(at);
    case 'int': { const v = r.uint(at); return v >= (1n << 255n) ? v - (1n << 256n) : v; }
    case 'bool': return r.uint(at) !== 0n;
    case 'address': return hexOf(r.word(at).subarray(12));
    case 'fixedbytes': return hexOf(r.word(at).subarray(0, t.size));
    case 'bytes': case 'string': {
      const n = r.num(at);
      if (at + 32 + n > r.b.length) throw new Error('ABI bytes run past the data');
      const raw = r.b.subarray(at + 32, at + 32 + n);
      return t.kind === 'bytes' ? hexOf(raw) : new TextDecoder().decode(raw);
    }
    case 'slice': { const n = r.num(at); return readSeq(r, new Array(n).fill(t.elem), at + 32); }
    case 'array': return readSeq(r, new Array(t.size).fill(t.elem), at);
    case 'tuple': {
      const vals = readSeq(r, t.components.map((c) => c.type), at);
      const o = {};
      t.components.forEach((c, i) => { o[c.name || String(i)] = vals[i]; });
      return o;
    }
    default: throw new Error(`ABI type ${t.kind} is not decoded here`);
  }
}

// decodeCall decodes a transaction's input to the gateway: {name, sig,
// args: [{name, type, value}]} or null when it is no gateway function.
export function decodeCall(input) {
  if (!abi || !input || input.length < 10) return null;
  const f = abi.functions[input.slice(0, 10).toLowerCase()];
  if (!f) return null;
  try {
    const vals = readSeq(new Reader(bytesOf(input.slice(10))), f.inputs.map((p) => p.type), 0);
    return { name: f.name, sig: f.sig, args: f.inputs.map((p, i) => ({ name: p.name, type: p.type, value: vals[i] })) };
  } catch (e) {
    return { name: f.name, sig: f.sig, error: e.message, args: [] };
  }
}

// decodeLog decodes a gateway log: {name, args, values (by name)} or null.
export function decodeLog(log) {
  if (!abi || !isGateway(log.address) || !log.topics || log.topics.length === 0) return null;
  const ev = abi.events[log.topics[0].toLowerCase()];
  if (!ev) return null;
  const args = [];
  const values = {};
  try {
    const plain = ev.inputs.filter((p) => !p.indexed);
    const vals = readSeq(new Reader(bytesOf(log.data || '0x')), plain.map((p) => p.type), 0);
    let t = 1;
    let d = 0;
    for (const p of ev.inputs) {
      let v;
      if (p.indexed) {
        const topic = log.topics[t++];
        v = dynamic(p.type) || p.type.kind === 'tuple' ? topic : readValue(new Reader(bytesOf(topic)), p.type, 0);
      } else {
        v = vals[d++];
      }
      args.push({ name: p.name, type: p.type, value: v, indexed: !!p.indexed });
      values[p.name] = v;
    }
  } catch (e) {
    return { name: ev.name, sig: ev.sig, error: e.message, args, values };
  }
  return { name: ev.name, sig: ev.sig, args, values };
}

export function topic(name) { return abi && abi.topics[name]; }
