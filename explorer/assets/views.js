// The explorer's pages. Each takes the route's parameters and the view
// (where it hooks live heads and tree refreshes) and returns its DOM.

import { call, batch } from './rpc.js';
import { decodeCall, decodeLog, gatewayABI, isGateway, topic } from './abi.js';
import { state } from './app.js';
import {
  age, ageOf, badge, big, coins, el, errorBox, facts, isAddress, isHash, kv, link, num, q, short, show, table,
} from './util.js';

const RECENT = 20;        // blocks on a subnet's page
const LOG_WINDOW = 9000;  // blocks eth_getLogs scans back (the node caps a range at 10,000)
const ADDR_PAGE = 25;     // an address's transactions per page (aspen_getAddressTxs)

const depth = (id) => id.split('/').length - 2;
const hrefSubnet = (s) => `#/subnet?${q({ s })}`;
const hrefBlock = (s, n) => (typeof n === 'string' && n.length === 66 ? `#/block?${q({ s, h: n })}` : `#/block?${q({ s, n: num(n) })}`);
const hrefTx = (s, h) => `#/tx?${q({ s, h })}`;
const hrefAddr = (s, a) => `#/address?${q({ s, a })}`;
const hrefMsg = (id, s) => `#/msg?${q({ id, s })}`;
const served = (id) => state.served.includes(id);

function subnetLink(id) { return served(id) ? link(hrefSubnet(id), id) : el('span', null, id); }

function addrLink(s, a) {
  if (!a) return el('span.muted', null, 'contract creation');
  const text = isGateway(a) ? 'gateway' : short(a, 8);
  return link(hrefAddr(s, a), text, { class: 'mono', title: a });
}

// ---------------------------------------------------------------- tree

function flags(s) {
  const out = [];
  if (s.status !== 'active') out.push(badge(s.status, s.status === 'killed' ? 'bad' : 'warn'));
  if (s.served) {
    const ageS = s.lastBlockAgeSeconds;
    // The root keeps its block time; an idle child rests, with a heartbeat
    // block every 30 s, so only silence well past that is a stall.
    const limit = s.parent ? 90 : Math.max(10, 20 * (num(s.blockTimeMs) || 1000) / 1000);
    if (ageS !== undefined && ageS > limit) out.push(badge('stalled', 'bad'));
  } else {
    out.push(badge('not served here', 'plain'));
  }
  const period = num(s.checkpointPeriod);
  if (s.served && s.parent && period && s.lastCheckpointHeight !== undefined) {
    const lag = (state.heights.get(s.id) || num(s.height)) - num(s.lastCheckpointHeight);
    if (lag > 3 * period) out.push(badge(`checkpoint lag ${lag}`, 'warn'));
  }
  return out;
}

function validatorsTable(s, id) {
  const rows = s.validators.map((v, i) => el('tr', null,
    el('td', null, String(i)),
    el('td', null, served(id) ? addrLink(id, v.owner) : el('span.mono', null, v.owner)),
    el('td', null, num(v.power).toLocaleString('en-US')),
    el('td', null, v.collateral ? coins(v.collateral) : '–')));
  return table(['#', 'owner', 'power', 'stake'], rows);
}

function treeCard(s) {
  const h = state.heights.get(s.id) ?? (s.height ? num(s.height) : null);
  const period = num(s.checkpointPeriod);
  const ckpt = s.lastCheckpointHeight !== undefined ? num(s.lastCheckpointHeight) : null;
  return el(`li.node.d${Math.min(depth(s.id), 4)}`, { 'data-row': '', 'data-subnet': s.id },
    el('h3', null, subnetLink(s.id), badge(s.engine, 'plain'), s.role ? badge(s.role, 'plain') : null, flags(s)),
    facts([
      ['height', el('span.height', null, h === null ? '–' : h.toLocaleString('en-US'))],
      s.served && ['last block', el('span.age', { 'data-ts': s.headTime }, age(s.headTime ? ageOf(s.headTime) : null))],
      s.blockTimeMs && ['block time', `${num(s.blockTimeMs)} ms`],
      ['validators', `${s.validators.length} · power ${num(s.totalPower).toLocaleString('en-US')}`],
      s.parent && ['last checkpoint', ckpt === null ? '–' : ckpt === 0 ? 'none yet' : `#${ckpt}${period ? ` (every ${period})` : ''}`],
      s.parent && ['circulating supply', coins(s.circulatingSupply)],
      !s.parent && ['supply', el('span.supply', { 'data-subnet': s.id }, '…')],
      s.downQueued !== undefined && ['queued ↓ / ↑', `${num(s.downQueued)} / ${num(s.upQueued)}`],
      ['chain ID', String(num(s.chainId))],
    ]),
    s.validators.length ? el('details', null, el('summary', null, 'validators and stake'), validatorsTable(s, s.id)) : null);
}

export async function tree(params, view) {
  const list = el('ul.tree', { 'aria-label': 'subnets' });
  const note = el('p.muted');
  const info = el('p.muted');
  const draw = () => {
    const visible = state.tree.filter((s) => s.status !== 'killed');
    const killed = state.tree.length - visible.length;
    list.replaceChildren(...visible.map(treeCard));
    note.textContent = `${visible.length} subnets, ${state.served.length} served by this node` + (killed ? `; ${killed} killed (hidden)` : '');
    loadSupply(list);
  };
  draw();
  view.onTree = draw;
  view.onHead = (id, head) => {
    const card = list.querySelector(`[data-subnet="${CSS.escape(id)}"]`);
    if (!card) return;
    const n = num(head.number);
    card.querySelector('.height').textContent = n.toLocaleString('en-US');
    const a = card.querySelector('.age');
    if (a) { a.dataset.ts = head.timestamp; a.textContent = age(ageOf(head.timestamp)); }
  };
  view.timers.push(setInterval(() => {
    for (const a of list.querySelectorAll('.age')) if (a.dataset.ts) a.textContent = age(ageOf(a.dataset.ts));
  }, 1000));
  call('', 'aspen_nodeInfo').then((n) => {
    info.textContent = `Node ${short(n.peerId, 10)} · ${n.peers.length} peers`;
  }).catch(() => {});
  return el('section', null, el('h1', null, 'The tree'), note, info, list);
}

let supplyCache = null;
function loadSupply(list) {
  const spot = list.querySelector('.supply');
  if (!spot) return;
  const id = spot.dataset.subnet;
  const fill = (s) => { spot.textContent = coins(s.supply); spot.title = `at height ${num(s.height)}; fees burned ${coins(s.feesBurned)}`; };
  if (supplyCache && supplyCache.id === id && performance.now() - supplyCache.at < 30000) { fill(supplyCache.s); return; }
  call(id, 'aspen_supply', [id]).then((s) => { supplyCache = { id, s, at: performance.now() }; fill(s); }).catch(() => { spot.textContent = '–'; });
}

// ---------------------------------------------------------------- subnet

function blockRow(s, b, fresh) {
  return el(`tr${fresh ? '.fresh' : ''}`, { 'data-row': '' },
    el('td', null, link(hrefBlock(s, b.number), num(b.number).toLocaleString('en-US'))),
    el('td.mono.hide-s', null, short(b.hash, 10)),
    el('td', null, Array.isArray(b.transactions) ? String(b.transactions.length) : '…'),
    el('td.hide-s', null, num(b.gasUsed).toLocaleString('en-US')),
    el('td', { 'data-ts': b.timestamp, class: 'age' }, age(ageOf(b.timestamp))));
}

export async function subnet(params, view) {
  const s = params.get('s') || state.root;
  const info = state.byID.get(s);
  if (!info) return el('p.error', null, `No subnet ${s} in this node's tree. `, link('#/', 'Back to the tree'));
  const out = el('section');
  out.append(
    el('div.crumbs', null, info.parent ? ['child of ', subnetLink(info.parent)] : 'root chain'),
    el('h1', null, s),
    treeCard(info));
  const kids = state.tree.filter((x) => x.parent === s);
  if (kids.length) out.append(el('h2', null, 'Children'), el('p', null, kids.map((k, i) => [i ? ', ' : '', subnetLink(k.id), k.status !== 'active' ? ` (${k.status})` : ''])));
  if (!info.served) {
    out.append(el('p.notice', null, 'This node does not serve this subnet: what it shows comes from its parent\'s gateway.'));
    return out;
  }
  const head = num(await call(s, 'eth_blockNumber'));
  const nums = [];
  for (let n = head; n >= 0 && nums.length < RECENT; n--) nums.push(n);
  const blocks = await batch(s, nums.map((n) => ['eth_getBlockByNumber', ['0x' + n.toString(16), false]]));
  const tbody = el('tbody', null, blocks.filter((b) => b && !(b instanceof Error)).map((b) => blockRow(s, b)));
  out.append(el('h2', null, 'Recent blocks'),
    el('div.wrap', null, el('table.table', { 'aria-label': 'recent blocks' },
      el('thead', null, el('tr', null, el('th', null, 'block'), el('th.hide-s', null, 'hash'), el('th', null, 'txs'), el('th.hide-s', null, 'gas used'), el('th', null, 'time'))),
      tbody)));
  let top = head;
  view.onHead = async (id, h) => {
    if (id !== s || num(h.number) <= top) return;
    top = num(h.number);
    let b = h;
    try { b = (await call(s, 'eth_getBlockByHash', [h.hash, false])) || h; } catch (e) { /* show the head as it came */ }
    tbody.prepend(blockRow(s, b, true));
    while (tbody.children.length > RECENT) tbody.lastChild.remove();
  };
  view.timers.push(setInterval(() => {
    for (const a of tbody.querySelectorAll('.age')) a.textContent = age(ageOf(a.dataset.ts));
  }, 1000));
  if (info.parent && served(info.parent)) out.append(el('h2', null, `Checkpoints and validator changes on ${info.parent}`), await registryEvents(info));
  return out;
}

// registryEvents lists what the parent's gateway logged about subnet info:
// checkpoints committed (with their signers), joins, leaves, slashes.
async function registryEvents(info) {
  const p = info.parent;
  const names = ['CheckpointCommitted', 'CheckpointRejected', 'ValidatorJoined', 'ValidatorLeft', 'ValidatorSlashed', 'SubnetActivated', 'SubnetCreated', 'SubnetKilled'];
  let logs;
  try {
    const head = num(await call(p, 'eth_blockNumber'));
    logs = await call(p, 'eth_getLogs', [{ fromBlock: '0x' + Math.max(0, head - LOG_WINDOW).toString(16), toBlock: 'latest', address: gatewayABI().address, topics: [names.map(topic)] }]);
  } catch (e) {
    return errorBox(e);
  }
  const mine = logs.map((l) => ({ l, d: decodeLog(l) })).filter(({ d }) => d && (d.values.id === info.id || d.values.childId === info.id)).reverse().slice(0, 30);
  if (mine.length === 0) return el('p.muted', null, `None in the last ${LOG_WINDOW} blocks of ${p}.`);
  const ckptTxs = mine.filter(({ d }) => d.name === 'CheckpointCommitted').slice(0, 10).map(({ l }) => l.transactionHash);
  const txs = await batch(p, ckptTxs.map((h) => ['eth_getTransactionByHash', [h]]));
  const signers = new Map();
  ckptTxs.forEach((h, i) => {
    const tx = txs[i];
    const c = tx && !(tx instanceof Error) ? decodeCall(tx.input) : null;
    const bm = c && c.args.find((a) => a.name === 'signerBitmap');
    if (bm) signers.set(h, signerList(bm.value, info.validators));
  });
  const rows = mine.map(({ l, d }) => el('tr', { 'data-row': '' },
    el('td', null, link(hrefTx(p, l.transactionHash), d.name)),
    el('td', null, link(hrefBlock(p, l.blockNumber), num(l.blockNumber).toLocaleString('en-US'))),
    el('td', null, eventSummary(p, d, signers.get(l.transactionHash)))));
  return table(['event', `${p} block`, 'details'], rows);
}

function signerList(bitmapHex, validators) {
  const bytes = bitmapHex.slice(2).match(/../g) || [];
  const out = [];
  bytes.forEach((b, i) => {
    const x = parseInt(b, 16);
    for (let j = 0; j < 8; j++) if (x & (1 << j)) out.push(i * 8 + j);
  });
  return out.map((i) => (validators[i] ? short(validators[i].owner, 6) : `seat ${i}`));
}

function eventSummary(chain, d, signers) {
  const v = d.values;
  switch (d.name) {
    case 'CheckpointCommitted':
      return [`height ${show(v.height)}, ${show(v.messages)} messages`, signers ? `; signed by ${signers.join(', ')}` : ''];
    case 'ValidatorJoined': return [addrLink(chain, v.owner), ` with ${coins(v.collateral)}`];
    case 'ValidatorLeft': return [addrLink(chain, v.owner), ` got back ${coins(v.collateralReturned)}`];
    case 'ValidatorSlashed': return [addrLink(chain, v.owner), ` lost ${coins(v.collateralSlashed)}: ${v.reason}`];
    case 'CheckpointRejected': return `height ${show(v.height)}: ${v.reason}`;
    case 'SubnetActivated': return `config ${show(v.configNumber)}`;
    default: return d.args.map((a) => `${a.name} ${show(a.value)}`).join(', ');
  }
}

// ---------------------------------------------------------------- block

export async function block(params, view) {
  const s = params.get('s') || state.root;
  if (!served(s)) return el('p.error', null, `This node does not serve ${s}.`);
  const ref = params.get('h') || params.get('n');
  const b = params.get('h') ? await call(s, 'eth_getBlockByHash', [ref, true])
    : await call(s, 'eth_getBlockByNumber', ['0x' + BigInt(ref || 0).toString(16), true]);
  if (!b) {
    const head = num(await call(s, 'eth_blockNumber'));
    return el('section', null, el('h1', null, `Block ${ref} on ${s}`), el('p.notice', null, `Not found: ${s} is at height ${head}.`));
  }
  const n = num(b.number);
  const sys = await systemLogs(s, b);
  const txRows = b.transactions.map((tx) => {
    const c = isGateway(tx.to) ? decodeCall(tx.input) : null;
    return el('tr', { 'data-row': '' },
      el('td', null, link(hrefTx(s, tx.hash), short(tx.hash, 10), { class: 'mono', title: tx.hash })),
      el('td.hide-s', null, addrLink(s, tx.from)),
      el('td', null, addrLink(s, tx.to)),
      el('td', null, c ? c.name : tx.input && tx.input.length > 2 ? tx.input.slice(0, 10) : 'transfer'),
      el('td', null, coins(tx.value)));
  });
  return el('section', null,
    el('div.crumbs', null, subnetLink(s)),
    el('h1', null, `Block ${n.toLocaleString('en-US')}`),
    el('nav.pager', { 'aria-label': 'neighbouring blocks' },
      n > 0 ? link(hrefBlock(s, '0x' + (n - 1).toString(16)), '← previous') : null,
      link(hrefBlock(s, '0x' + (n + 1).toString(16)), 'next →')),
    kv([
      ['subnet', subnetLink(s)],
      ['hash', el('span.mono', null, b.hash)],
      ['parent', n > 0 ? link(hrefBlock(s, b.parentHash), b.parentHash, { class: 'mono' }) : '–'],
      ['time', `${new Date(num(b.timestamp) * 1000).toISOString()} (${age(ageOf(b.timestamp))})`],
      ['proposer', addrLink(s, b.miner)],
      ['transactions', String(b.transactions.length)],
      ['gas used / limit', `${num(b.gasUsed).toLocaleString('en-US')} / ${num(b.gasLimit).toLocaleString('en-US')}`],
      b.baseFeePerGas && ['base fee', `${num(b.baseFeePerGas).toLocaleString('en-US')} wei`],
      ['state root', el('span.mono', null, b.stateRoot)],
    ]),
    el('h2', null, 'Transactions'),
    txRows.length ? table(['hash', ['from', 'hide-s'], 'to', 'method', 'value'], txRows) : el('p.muted', null, 'None.'),
    sys.length ? [el('h2', null, 'System logs'), el('p.muted', null, 'Messages from the parent applied before the block\'s transactions, logged by no transaction.'), sys.map((l) => logCard(s, l))] : null);
}

async function systemLogs(s, b) {
  const logs = await call(s, 'eth_getLogs', [{ blockHash: b.hash }]);
  const txs = new Set(b.transactions.map((t) => (typeof t === 'string' ? t : t.hash)));
  return logs.filter((l) => !txs.has(l.transactionHash));
}

// ---------------------------------------------------------------- tx

function argList(args) {
  return el('dl.args', null, args.map((a) => [el('dt', null, a.name || '·'), el('dd', null, show(a.value))]));
}

function logCard(s, l) {
  const d = decodeLog(l);
  const msgID = d && /^CrossMsg/.test(d.name) ? d.values.msgId : null;
  return el('div.log', { 'data-row': '' },
    el('h3', null, d ? d.name : 'log', ' ', el('span.muted', null, `#${num(l.logIndex)} from `), addrLink(s, l.address)),
    d ? argList(d.args) : el('pre.raw', null, `topics: ${l.topics.join('\n        ')}\ndata: ${l.data}`),
    msgID ? el('p', null, link(hrefMsg(msgID, s), 'Follow this message across subnets →')) : null);
}

export async function tx(params) {
  const s = params.get('s') || state.root;
  const h = params.get('h');
  if (!isHash(h || '')) return el('p.error', null, 'A transaction hash is 0x and 64 hex digits.');
  if (!served(s)) return el('p.error', null, `This node does not serve ${s}.`);
  const [t, r] = await batch(s, [['eth_getTransactionByHash', [h]], ['eth_getTransactionReceipt', [h]]]);
  if (t instanceof Error) throw t;
  if (!t) {
    const hits = await findHash(h, s);
    return el('section', null, el('h1', null, 'Transaction not found'),
      el('p.notice', null, `${s} has no transaction ${h}.`), hits.length ? hitList(hits) : null);
  }
  const c = isGateway(t.to) ? decodeCall(t.input) : null;
  const rec = r && !(r instanceof Error) ? r : null;
  const status = !rec ? badge('pending', 'warn') : num(rec.status) === 1 ? badge('success') : badge('failed', 'bad');
  return el('section', null,
    el('div.crumbs', null, subnetLink(s)),
    el('h1', null, 'Transaction ', status),
    kv([
      ['hash', el('span.mono', null, t.hash)],
      ['block', t.blockNumber ? link(hrefBlock(s, t.blockNumber), num(t.blockNumber).toLocaleString('en-US')) : 'pending'],
      ['from', addrLink(s, t.from)],
      ['to', t.to ? addrLink(s, t.to) : rec && rec.contractAddress ? ['new contract ', addrLink(s, rec.contractAddress)] : 'contract creation'],
      ['value', coins(t.value)],
      ['nonce', String(num(t.nonce))],
      rec && ['gas used', `${num(rec.gasUsed).toLocaleString('en-US')} of ${num(t.gas).toLocaleString('en-US')}`],
      rec && rec.effectiveGasPrice && ['fee', coins(big(rec.gasUsed) * big(rec.effectiveGasPrice))],
      c && ['gateway call', el('span.mono', null, c.sig)],
    ]),
    c ? [el('h2', null, `Call: ${c.name}`), c.error ? errorBox(c.error) : argList(c.args)] : null,
    !c && t.input && t.input.length > 2 ? [el('h2', null, 'Input'), el('pre.raw', null, t.input)] : null,
    el('h2', null, 'Logs'),
    rec && rec.logs.length ? rec.logs.map((l) => logCard(s, l)) : el('p.muted', null, 'None.'));
}

// ---------------------------------------------------------------- address

export async function address(params) {
  const s = params.get('s') || state.root;
  const a = params.get('a');
  if (!isAddress(a || '')) return el('p.error', null, 'An address is 0x and 40 hex digits.');
  const chains = state.served;
  const per = await Promise.all(chains.map((id) => batch(id, [
    ['eth_getBalance', [a, 'latest']], ['eth_getTransactionCount', [a, 'latest']], ['eth_getCode', [a, 'latest']],
  ]).catch((e) => [e, e, e])));
  const rows = chains.map((id, i) => {
    const [bal, nonce, code] = per[i];
    const ok = (x) => !(x instanceof Error);
    return el('tr', { 'data-row': '', class: id === s ? 'sel' : null },
      el('td', null, link(hrefAddr(id, a), id)),
      el('td', null, ok(bal) ? coins(bal) : '–'),
      el('td', null, ok(nonce) ? String(num(nonce)) : '–'),
      el('td', null, ok(code) ? (code.length > 2 ? `${(code.length - 2) / 2} bytes` : 'none') : '–'));
  });
  const mine = per[chains.indexOf(s)] || [];
  const code = mine[2] && !(mine[2] instanceof Error) && mine[2].length > 2 ? mine[2] : null;
  const out = el('section', null,
    el('div.crumbs', null, subnetLink(s)),
    el('h1', null, isGateway(a) ? 'The gateway' : 'Address'),
    el('p.mono', null, a),
    el('h2', null, 'On every subnet this node serves'),
    table(['subnet', 'balance', 'nonce', 'code'], rows),
    code ? el('details', null, el('summary', null, `code on ${s}`), el('pre.raw', null, code)) : null);
  if (served(s)) out.append(el('h2', null, `Transactions on ${s}`), ...(await addressTxs(s, a)));
  return out;
}

// addressTxs lists a's transactions on s from the node's index
// (aspen_getAddressTxs), newest first, a page at a time: "Older" loads the next.
async function addressTxs(s, a) {
  const lower = a.toLowerCase();
  const tbl = table(['hash', 'block', 'way', 'method', 'value'], []);
  const body = tbl.querySelector('tbody');
  const note = el('p.muted');
  const more = el('button', { type: 'button', id: 'older' }, 'Older transactions');
  let cursor = null;
  const load = async () => {
    more.disabled = true;
    const page = await call(s, 'aspen_getAddressTxs', [s, a, cursor, '0x' + ADDR_PAGE.toString(16)]);
    const txs = await batch(s, page.txs.map((x) => ['eth_getTransactionByHash', [x.hash]]));
    for (const t of txs) {
      if (!t || t instanceof Error) continue;
      const c = isGateway(t.to) ? decodeCall(t.input) : null;
      const way = t.from.toLowerCase() === lower ? (t.to ? 'out' : 'create') : (t.to ? 'in' : 'created');
      body.append(el('tr', { 'data-row': '', 'data-tx': t.hash },
        el('td', null, link(hrefTx(s, t.hash), short(t.hash, 10), { class: 'mono', title: t.hash })),
        el('td', null, link(hrefBlock(s, t.blockNumber), num(t.blockNumber).toLocaleString('en-US'))),
        el('td', null, way),
        el('td', null, c ? c.name : t.to ? 'transfer' : 'contract creation'),
        el('td', null, coins(t.value))));
    }
    cursor = page.next || null;
    more.hidden = !cursor;
    more.disabled = false;
    const n = body.children.length;
    note.textContent = n ? `${n} shown, newest first${cursor ? '; older ones below' : ''}.` : 'None on this subnet.';
  };
  more.addEventListener('click', () => load().catch((e) => more.replaceWith(errorBox(e))));
  await load();
  return [note, tbl, more];
}

// ---------------------------------------------------------------- message

// path is the chains a message visits: up from src to the lowest common
// ancestor, then down to dst.
function path(src, dst) {
  const parts = (x) => x.split('/').filter(Boolean);
  const a = parts(src);
  const b = parts(dst);
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  const out = [];
  for (let i = a.length; i >= k; i--) out.push('/' + a.slice(0, i).join('/'));
  for (let i = k + 1; i <= b.length; i++) out.push('/' + b.slice(0, i).join('/'));
  return out.filter((x) => x !== '/');
}

async function msgLogs(id, chain) {
  const names = ['CrossMsgSent', 'CrossMsgForwarded', 'CrossMsgApplied'];
  const head = num(await call(chain, 'eth_blockNumber'));
  const logs = await call(chain, 'eth_getLogs', [{ fromBlock: '0x' + Math.max(0, head - LOG_WINDOW).toString(16), toBlock: 'latest', address: gatewayABI().address, topics: [names.map(topic), id] }]);
  return logs.map((l) => ({ l, d: decodeLog(l) })).filter(({ d }) => d);
}

export async function message(params, view) {
  const id = (params.get('id') || '').toLowerCase();
  if (!isHash(id)) return el('p.error', null, 'A message ID is 0x and 64 hex digits.');
  const box = el('div');
  const out = el('section', null, el('h1', null, 'Cross-subnet message'), el('p.mono', null, id), box);
  let done = false;
  const draw = async () => {
    const found = new Map();
    await Promise.all(state.served.map(async (c) => { try { found.set(c, await msgLogs(id, c)); } catch (e) { /* gone */ } }));
    let sent = null;
    for (const [c, ls] of found) for (const x of ls) if (x.d.name === 'CrossMsgSent') sent = { c, ...x };
    if (!sent) {
      box.replaceChildren(el('p.notice', null, `No subnet this node serves logged this message in its last ${LOG_WINDOW} blocks.`));
      return;
    }
    const v = sent.d.values;
    const hops = path(v.src, v.dst);
    const items = [];
    for (const c of hops) {
      const ls = found.get(c) || [];
      const fwd = ls.find((x) => x.d.name === 'CrossMsgForwarded');
      const app = ls.find((x) => x.d.name === 'CrossMsgApplied');
      let st = 'waiting';
      let x = null;
      let detail = '';
      if (c === v.src) { st = 'sent'; x = sent; detail = `${coins(v.value)} from ${short(v.from, 8)} to ${short(v.to, 8)} on ${v.dst}`; }
      else if (app) { x = app; st = app.d.values.success ? 'applied' : 'failed'; detail = app.d.values.success ? '' : `result ${app.d.values.result}`; }
      else if (fwd) { x = fwd; st = 'forwarded'; detail = `on to ${fwd.d.values.next}`; }
      else if (!served(c)) { st = 'waiting'; detail = 'this node does not serve this subnet'; }
      items.push({ c, st, x, detail });
    }
    // A system log's transaction hash names no transaction: link its block.
    const txChecks = await Promise.all(items.map(({ c, x }) => (x ? call(c, 'eth_getTransactionByHash', [x.l.transactionHash]).catch(() => null) : null)));
    box.replaceChildren(
      kv([
        ['from', [subnetLink(v.src), ' ', addrLink(v.src, v.from)]],
        ['to', [subnetLink(v.dst), ' ', served(v.dst) ? addrLink(v.dst, v.to) : el('span.mono', null, v.to)]],
        ['value', coins(v.value)],
        ['source nonce', show(v.nonce)],
      ]),
      el('h2', null, 'Hops'),
      el('ol.hops', { 'aria-label': 'hops' }, items.map(({ c, st, x, detail }, i) => el(`li.hop.${st}`, { 'data-row': '', 'data-chain': c, 'data-state': st },
        el('h3', null, `${i + 1}. `, subnetLink(c), badge(st, st === 'failed' ? 'bad' : st === 'waiting' ? 'warn' : '')),
        x ? el('p', null, 'block ', link(hrefBlock(c, x.l.blockNumber), num(x.l.blockNumber).toLocaleString('en-US')), ' · ',
          txChecks[i] ? link(hrefTx(c, x.l.transactionHash), `tx ${short(x.l.transactionHash, 8)}`) : el('span.muted', null, 'applied by the block itself (system log)')) : null,
        detail ? el('p.muted', null, detail) : null))));
    done = items.every(({ st }) => st !== 'waiting');
  };
  await draw();
  let busy = false;
  view.onHead = async () => {
    if (done || busy) return;
    busy = true;
    try { await draw(); } finally { busy = false; }
  };
  return out;
}

// ---------------------------------------------------------------- search

// findHash looks a 32-byte hash up on every served subnet, the scope first:
// as a transaction, a block and a message ID.
export async function findHash(h, scope) {
  const chains = [scope, ...state.served.filter((c) => c !== scope)].filter(served);
  const hits = [];
  await Promise.all(chains.map(async (c) => {
    const [t, b] = await batch(c, [['eth_getTransactionByHash', [h]], ['eth_getBlockByHash', [h, false]]]).catch(() => [null, null]);
    if (t && !(t instanceof Error)) hits.push({ kind: 'transaction', chain: c, href: hrefTx(c, h) });
    if (b && !(b instanceof Error)) hits.push({ kind: `block ${num(b.number)}`, chain: c, href: hrefBlock(c, h) });
    const ls = await msgLogs(h, c).catch(() => []);
    if (ls.length) hits.push({ kind: 'message', chain: c, href: hrefMsg(h, c) });
  }));
  // A message is logged on every chain it visits: one hit for it.
  const seen = new Set();
  return hits.filter((x) => (x.kind === 'message' ? (seen.has('m') ? false : seen.add('m')) : true));
}

function hitList(hits) {
  return el('ul', null, hits.map((x) => el('li', { 'data-row': '' }, link(x.href, `${x.kind} on ${x.chain}`))));
}

export async function searchPage(params) {
  const text = (params.get('q') || '').trim();
  const out = el('section', null, el('h1', null, 'Search'), el('p', null, 'For: ', el('span.mono', null, text)));
  if (isHash(text)) {
    const hits = await findHash(text.toLowerCase(), document.getElementById('scope').value || state.root);
    out.append(hits.length ? hitList(hits) : el('p.notice', null, 'No transaction, block or message with this hash on the subnets this node serves.'));
    return out;
  }
  if (/^(\/[a-z0-9-]+)+$/.test(text)) {
    const near = state.tree.filter((s) => s.id.startsWith(text) || text.startsWith(s.id));
    out.append(el('p.notice', null, `No subnet ${text} in this node's tree.`));
    if (near.length) out.append(el('ul', null, near.map((s) => el('li', { 'data-row': '' }, subnetLink(s.id)))));
    return out;
  }
  out.append(el('p.notice', null, 'Search takes a block number, a block or transaction hash, an address (0x and 40 hex digits), a message ID or a subnet path like /devnet/alpha.'));
  return out;
}
