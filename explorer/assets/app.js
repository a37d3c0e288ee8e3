// The explorer's shell: the tree state shared by every view, live heads,
// routing on the URL fragment, search and keyboard navigation.

import { call, Heads } from './rpc.js';
import { loadABI } from './abi.js';
import { el, errorBox, isAddress, isHash, isSubnet, num, q } from './util.js';
import * as views from './views.js';

export const state = {
  tree: [],        // aspen_tree
  byID: new Map(), // id -> tree entry
  served: [],      // ids this node serves
  root: '',
  heights: new Map(), // id -> latest height seen
  heads: null,
  view: null,      // {onHead, onTree, timers, token}
};

// The browser-measured path of every new head: when its notification
// arrived and when the page showed it (tests and people read it).
window.aspenHeads = {};

let treeAt = 0;
let treeTimer = null;

export async function refreshTree() {
  treeAt = performance.now();
  const tree = await call('', 'aspen_tree');
  state.tree = tree;
  state.byID = new Map(tree.map((s) => [s.id, s]));
  state.served = tree.filter((s) => s.served).map((s) => s.id);
  state.root = (tree.find((s) => !s.parent) || { id: '' }).id;
  for (const s of tree) {
    if (s.served && s.height) state.heights.set(s.id, Math.max(state.heights.get(s.id) || 0, num(s.height)));
  }
  state.heads.follow(state.served);
  fillScope();
  if (state.view && state.view.onTree) state.view.onTree();
}

// refreshSoon refreshes the tree at most once a second.
function refreshSoon() {
  if (treeTimer) return;
  const wait = Math.max(0, 1000 - (performance.now() - treeAt));
  treeTimer = setTimeout(() => { treeTimer = null; refreshTree().catch(() => {}); }, wait);
}

function fillScope() {
  const sel = document.getElementById('scope');
  const cur = sel.value || scopeFromRoute() || state.root;
  sel.replaceChildren(...state.served.map((id) => el('option', { value: id, selected: id === cur }, id)));
}

function scopeFromRoute() {
  const { params } = route();
  return params.get('s');
}

function onHead(id, head, arrived) {
  const n = num(head.number);
  if (n > (state.heights.get(id) || 0)) state.heights.set(id, n);
  // A new subnet, a killed one, new checkpoints: the root's blocks and
  // each parent's carry them.
  if (id === state.root || (state.byID.get(id) && state.tree.some((s) => s.parent === id))) refreshSoon();
  if (state.view && state.view.onHead) state.view.onHead(id, head);
  window.aspenHeads[id] = { number: n, hash: head.hash, arrived, shown: performance.now(), shownWall: Date.now() };
}

function onLive(mode) {
  const live = document.getElementById('live');
  live.textContent = mode === 'live' ? 'live' : 'polling';
  live.className = `live ${mode === 'live' ? 'on' : 'off'}`;
}

export function route() {
  const h = location.hash.replace(/^#/, '') || '/';
  const [path, query] = h.split('?');
  return { path, params: new URLSearchParams(query || '') };
}

let token = 0;

async function render() {
  if (state.view) for (const t of state.view.timers) clearInterval(t);
  const view = { token: ++token, timers: [], onHead: null, onTree: null };
  state.view = view;
  const main = document.getElementById('main');
  const { path, params } = route();
  const fn = {
    '/': views.tree, '/subnet': views.subnet, '/block': views.block, '/tx': views.tx,
    '/address': views.address, '/msg': views.message, '/search': views.searchPage,
  }[path];
  let node;
  try {
    node = fn ? await fn(params, view) : el('p.error', null, `No page ${path}. `, el('a', { href: '#/' }, 'Back to the tree'));
  } catch (e) {
    node = errorBox(e);
  }
  if (view.token !== token) return; // a later navigation won
  main.replaceChildren(node);
  document.title = `${(main.querySelector('h1') || { textContent: 'Aspen' }).textContent} · Aspen explorer`;
  if (params.get('s')) document.getElementById('scope').value = params.get('s');
  selected = -1;
}

// search resolves a query to a page: a subnet path, a block number on the
// chosen subnet, an address there, or a hash looked up as a transaction,
// a block and a message on every served subnet.
export async function search(text) {
  const s = text.trim();
  const scope = document.getElementById('scope').value || state.root;
  if (s === '') return;
  if (isSubnet(s)) { location.hash = state.byID.has(s) ? `#/subnet?${q({ s })}` : `#/search?${q({ q: s })}`; return; }
  if (/^\d+$/.test(s)) { location.hash = `#/block?${q({ s: scope, n: s })}`; return; }
  if (isAddress(s)) { location.hash = `#/address?${q({ s: scope, a: s })}`; return; }
  if (isHash(s)) {
    const hits = await views.findHash(s.toLowerCase(), scope);
    if (hits.length === 1) { location.hash = hits[0].href; return; }
  }
  location.hash = `#/search?${q({ q: s })}`;
}

// Keyboard: "/" searches, "t" opens the tree, j/k move between rows and
// Enter follows the row's first link.
let selected = -1;
function rows() { return Array.from(document.querySelectorAll('#main [data-row]')); }
function select(i) {
  const rs = rows();
  if (rs.length === 0) return;
  selected = Math.max(0, Math.min(rs.length - 1, i));
  rs.forEach((r, j) => r.classList.toggle('sel', j === selected));
  const a = rs[selected].querySelector('a');
  (a || rs[selected]).focus();
  rs[selected].scrollIntoView({ block: 'nearest' });
}

function keys(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement && document.activeElement.tagName);
  if (e.key === 'Escape' && typing) { document.activeElement.blur(); return; }
  if (typing) return;
  if (e.key === '/') { e.preventDefault(); document.getElementById('q').focus(); document.getElementById('q').select(); }
  else if (e.key === 't') location.hash = '#/';
  else if (e.key === 'j') select(selected + 1);
  else if (e.key === 'k') select(selected - 1);
}

async function start() {
  state.heads = new Heads(onHead, onLive, () => refreshTree());
  document.getElementById('search').addEventListener('submit', (e) => {
    e.preventDefault();
    search(document.getElementById('q').value).catch((err) => document.getElementById('main').replaceChildren(errorBox(err)));
  });
  document.addEventListener('keydown', keys);
  window.addEventListener('hashchange', () => render());
  try {
    await Promise.all([loadABI(), refreshTree()]);
  } catch (e) {
    document.getElementById('main').replaceChildren(errorBox(e));
    return;
  }
  setInterval(() => refreshTree().catch(() => {}), 10000);
  await render();
}

start();
