// DOM and formatting helpers. Everything from the chain goes in as text,
// never as markup.

export function el(tag, attrs, ...kids) {
  const [name, ...classes] = tag.split('.');
  const e = document.createElement(name);
  if (classes.length) e.className = classes.join(' ');
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className += (e.className ? ' ' : '') + v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  add(e, kids);
  return e;
}

function add(e, kids) {
  for (const k of kids) {
    if (k === undefined || k === null || k === false) continue;
    if (Array.isArray(k)) add(e, k);
    else e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

export function link(href, text, attrs = {}) { return el('a', { href, ...attrs }, text); }

export function big(hex) {
  if (hex === null || hex === undefined) return null;
  return typeof hex === 'bigint' ? hex : BigInt(hex);
}

export function num(hex) { return hex === null || hex === undefined ? null : Number(BigInt(hex)); }

// coins formats a wei amount as coins (18 decimals) with up to 6 decimals.
export function coins(wei) {
  const v = big(wei);
  if (v === null) return '–';
  const neg = v < 0n;
  const a = neg ? -v : v;
  const whole = a / 10n ** 18n;
  let frac = (a % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '');
  if (frac === '' && a % 10n ** 18n !== 0n) frac = '000000…';
  return (neg ? '-' : '') + whole.toLocaleString('en-US') + (frac ? '.' + frac : '') + ' coins';
}

export function short(h, n = 6) {
  if (!h) return '';
  return h.length <= 2 + 2 * n ? h : `${h.slice(0, 2 + n)}…${h.slice(-4)}`;
}

export function age(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function ageOf(tsHex) { return Date.now() / 1000 - num(tsHex); }

export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) u.set(k, v);
  return u.toString().replace(/%2F/gi, '/');
}

export const isHash = (s) => /^0x[0-9a-fA-F]{64}$/.test(s);
export const isAddress = (s) => /^0x[0-9a-fA-F]{40}$/.test(s);
export const isSubnet = (s) => /^(\/[a-z0-9-]{1,32})+$/.test(s);

export function kv(pairs) {
  return el('dl.kv', null, pairs.filter(Boolean).map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
}

export function facts(pairs) {
  return el('dl.facts', null, pairs.filter(Boolean).map(([k, v, cls]) => el('div', cls ? { class: cls } : null, el('dt', null, k), el('dd', null, v))));
}

export function badge(text, kind = '') { return el('span', { class: `badge ${kind}`.trim() }, text); }

export function table(head, rows, attrs = {}) {
  return el('div.wrap', null, el('table.table', attrs,
    el('thead', null, el('tr', null, head.map((h) => (Array.isArray(h) ? el('th', { class: h[1] }, h[0]) : el('th', null, h))))),
    el('tbody', null, rows)));
}

export function errorBox(e) { return el('p.error', { role: 'alert' }, e && e.message ? e.message : String(e)); }

// show renders a decoded ABI value as text.
export function show(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(show).join(', ') + ']';
  if (v && typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ') + '}';
  return String(v);
}
