// Client compatibility suite: ethers v6 and solc-js against a real `aspen devnet`.
// Run with `npm test` in this directory. ASPEN_BIN selects a prebuilt binary;
// otherwise ./cmd/aspen is built into a temporary directory.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ethers } from 'ethers';
import { compile } from './compile.mjs';
import { Devnet } from './devnet.mjs';

const GATEWAY = '0xa5e0000000000000000000000000000000000001';
const ONE_ETH = ethers.parseEther('1');
const BURST = 50;

// withTimeout rejects with a clear message if p has not settled within ms.
async function withTimeout(p, ms, what) {
  const ac = new AbortController();
  const timer = delay(ms, undefined, { signal: ac.signal }).then(() => {
    throw new Error(`${what}: no result within ${ms} ms`);
  }, () => {});
  try {
    return await Promise.race([p, timer]);
  } finally {
    ac.abort();
  }
}

// keepBusy sends 1-wei transfers from signer, one after another, until the
// returned stop function is called. An idle Aspen chain makes an empty block
// only every --idle-interval (10 s by default); transactions make blocks.
function keepBusy(signer) {
  const to = ethers.Wallet.createRandom().address;
  let stopped = false;
  let failure = null;
  const loop = (async () => {
    while (!stopped) await (await signer.sendTransaction({ to, value: 1n })).wait();
  })().catch((err) => { failure = err; });
  return async () => {
    stopped = true;
    await loop;
    if (failure) throw failure;
  };
}

// rejectsWith asserts that p rejects with an ethers CALL_EXCEPTION and runs
// check on the error.
async function rejectsWith(p, check) {
  await assert.rejects(p, (err) => {
    assert.equal(err.code, 'CALL_EXCEPTION', `want CALL_EXCEPTION, got ${err.code}: ${err.message}`);
    check(err);
    return true;
  });
}

describe('aspen devnet with ethers v6', () => {
  let devnet; // Devnet
  let subnet; // devnet.json subnets[0]
  let provider; // ethers.JsonRpcProvider over HTTP
  let wsProvider; // ethers.WebSocketProvider
  let wallet; // accounts[0]
  let counter; // deployed Counter contract (set by the deploy test)

  before(async () => {
    devnet = await Devnet.start({ buildTimeoutMs: 120_000, startTimeoutMs: 45_000, blockTime: '200ms' });
    const m = devnet.manifest;
    subnet = m.subnets?.[0];
    assert.ok(subnet, `devnet.json has no subnets[0]:\n${JSON.stringify(m, null, 2)}`);
    assert.ok(subnet.rpc?.[0], 'devnet.json subnets[0].rpc[0] is missing');
    assert.ok(m.accounts?.[0]?.privateKey, 'devnet.json accounts[0].privateKey is missing');
    // cacheTimeout -1: ethers otherwise answers identical requests within
    // 250 ms from a cache, which would hide a balance or nonce change.
    provider = new ethers.JsonRpcProvider(subnet.rpc[0], undefined, {
      cacheTimeout: -1, staticNetwork: true, pollingInterval: 100,
    });
    wallet = new ethers.Wallet(m.accounts[0].privateKey, provider);
  }, { timeout: 170_000 });

  after(async () => {
    provider?.destroy();
    if (wsProvider) await wsProvider.destroy();
    if (!devnet) return;
    try {
      const status = await devnet.stop(30_000);
      assert.deepEqual(status, { code: 0, signal: null },
        `aspen devnet did not exit cleanly on SIGINT:\n${devnet.describe()}`);
    } finally {
      await devnet.cleanup();
    }
  }, { timeout: 60_000 });

  test('chain ID matches devnet.json', { timeout: 10_000 }, async () => {
    const want = BigInt(subnet.chainId);
    assert.ok(want > 0n && want < 2n ** 53n, `chainId ${subnet.chainId} must be in (0, 2^53)`);
    assert.equal(BigInt(await provider.send('eth_chainId', [])), want);
    assert.equal((await provider.getNetwork()).chainId, want);
    assert.equal(wallet.address, ethers.getAddress(devnet.manifest.accounts[0].address));
    assert.ok(await provider.getBalance(wallet.address) >= 1000n * ONE_ETH, 'accounts[0] is not prefunded');
  });

  test('deploys a contract compiled by solc-js', { timeout: 30_000 }, async () => {
    const { abi, bytecode } = await compile('Counter.sol', 'Counter');
    const c = await new ethers.ContractFactory(abi, bytecode, wallet).deploy();
    const tx = c.deploymentTransaction();
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1);
    const address = await c.getAddress();
    assert.equal(receipt.contractAddress, address);
    assert.equal(address, ethers.getCreateAddress({ from: wallet.address, nonce: tx.nonce }));
    const code = await provider.getCode(address);
    assert.ok(code.length > 2, 'no code at the contract address');
    assert.ok(bytecode.includes(code.slice(2, 66)), 'deployed code is not the compiled runtime code');
    assert.equal(await c.count(), 0n);
    assert.equal(await c.LIMIT(), 10n);
    counter = c;
  });

  test('transfers 1 ETH and charges exactly value + gasUsed * effectiveGasPrice', { timeout: 30_000 }, async () => {
    const to = ethers.Wallet.createRandom().address;
    assert.equal(await provider.getBalance(to), 0n);
    const senderBefore = await provider.getBalance(wallet.address);
    const tx = await wallet.sendTransaction({ to, value: ONE_ETH });
    const r = await tx.wait();
    assert.equal(r.status, 1);
    assert.equal(r.gasUsed, 21_000n);
    assert.equal(r.from, wallet.address);
    assert.equal(r.to, to);

    // ethers' receipt.gasPrice is the receipt's effectiveGasPrice; check the raw field too.
    const raw = await provider.send('eth_getTransactionReceipt', [tx.hash]);
    assert.ok(raw.effectiveGasPrice, 'receipt has no effectiveGasPrice');
    assert.equal(BigInt(raw.effectiveGasPrice), r.gasPrice);
    const block = await provider.getBlock(r.blockNumber);
    assert.ok(block.baseFeePerGas != null, 'block has no baseFeePerGas (EIP-1559)');
    const tip = tx.maxFeePerGas - block.baseFeePerGas < tx.maxPriorityFeePerGas
      ? tx.maxFeePerGas - block.baseFeePerGas : tx.maxPriorityFeePerGas;
    assert.equal(r.gasPrice, block.baseFeePerGas + tip, 'effectiveGasPrice != baseFee + min(tip, maxFee - baseFee)');

    assert.equal(await provider.getBalance(to), ONE_ETH);
    assert.equal(await provider.getBalance(wallet.address), senderBefore - ONE_ETH - r.gasUsed * r.gasPrice);
  });

  test('reads events through eth_getLogs and queryFilter', { timeout: 30_000 }, async () => {
    assert.ok(counter, 'needs the contract from the deploy test');
    const address = await counter.getAddress();
    const start = await counter.count();
    const r1 = await (await counter.increment()).wait();
    const r2 = await (await counter.incrementBy(5n)).wait();
    assert.equal(await counter.count(), start + 6n);

    const ev = counter.interface.getEvent('Incremented');
    assert.equal(ev.topicHash, ethers.id('Incremented(address,uint256)'));
    const byMe = ethers.zeroPadValue(wallet.address, 32);
    const logs = await provider.getLogs({
      address, topics: [ev.topicHash, byMe], fromBlock: r1.blockNumber, toBlock: r2.blockNumber,
    });
    assert.equal(logs.length, 2);
    assert.deepEqual(logs.map((l) => l.transactionHash), [r1.hash, r2.hash]);
    assert.deepEqual(logs.map((l) => l.blockHash), [r1.blockHash, r2.blockHash]);
    const parsed = logs.map((l) => counter.interface.parseLog(l));
    assert.deepEqual(parsed.map((p) => p.name), ['Incremented', 'Incremented']);
    assert.deepEqual(parsed.map((p) => p.args.by), [wallet.address, wallet.address]);
    assert.deepEqual(parsed.map((p) => p.args.value), [start + 1n, start + 6n]);

    // The receipt carries the same log.
    assert.equal(r2.logs.length, 1);
    assert.equal(r2.logs[0].topics[0], ev.topicHash);
    assert.equal(r2.logs[0].topics[1], byMe);
    assert.equal(BigInt(r2.logs[0].data), start + 6n);

    // A filter on another indexed sender or another address matches nothing.
    const stranger = ethers.zeroPadValue(ethers.Wallet.createRandom().address, 32);
    assert.equal((await provider.getLogs({
      address, topics: [ev.topicHash, stranger], fromBlock: r1.blockNumber, toBlock: r2.blockNumber,
    })).length, 0);
    assert.equal((await provider.getLogs({
      address: GATEWAY, topics: [ev.topicHash], fromBlock: r1.blockNumber, toBlock: r2.blockNumber,
    })).length, 0);

    const events = await counter.queryFilter(counter.filters.Incremented(wallet.address), r1.blockNumber, r2.blockNumber);
    assert.equal(events.length, 2);
    assert.deepEqual(events.map((e) => e.eventName), ['Incremented', 'Incremented']);
    assert.deepEqual(events.map((e) => e.args.by), [wallet.address, wallet.address]);
    assert.deepEqual(events.map((e) => e.args.value), [start + 1n, start + 6n]);
  });

  test('reports revert reasons and custom errors', { timeout: 30_000 }, async () => {
    assert.ok(counter, 'needs the contract from the deploy test');
    const address = await counter.getAddress();
    const before = await counter.count();

    await rejectsWith(counter.incrementBy.estimateGas(11n), (err) => assert.equal(err.reason, 'counter: too big'));
    await rejectsWith(counter.incrementBy.staticCall(11n), (err) => assert.equal(err.reason, 'counter: too big'));
    await rejectsWith(counter.setExactly.staticCall(11n), (err) => {
      assert.equal(err.revert?.name, 'TooBig', `custom error not decoded: ${err.message}`);
      assert.deepEqual([...err.revert.args], [11n, 10n]);
    });

    // The JSON-RPC shape other clients (viem, web3.js, MetaMask) rely on:
    // code 3, "execution reverted: <reason>", data = the ABI-encoded Error(string).
    const res = await fetch(subnet.rpc[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'eth_call',
        params: [{ from: wallet.address, to: address, data: counter.interface.encodeFunctionData('incrementBy', [11n]) }, 'latest'],
      }),
    });
    const body = await res.json();
    assert.ok(body.error, `eth_call of a reverting function returned ${JSON.stringify(body)}`);
    assert.equal(body.error.code, 3);
    assert.match(body.error.message, /execution reverted/);
    const reason = ethers.AbiCoder.defaultAbiCoder().decode(['string'], ethers.dataSlice(body.error.data, 4));
    assert.equal(ethers.dataSlice(body.error.data, 0, 4), ethers.id('Error(string)').slice(0, 10));
    assert.equal(reason[0], 'counter: too big');

    // A transaction that reverts is still mined, with status 0.
    const tx = await counter.incrementBy(11n, { gasLimit: 100_000n });
    await rejectsWith(tx.wait(), (err) => assert.equal(err.receipt?.status, 0));
    const r = await provider.getTransactionReceipt(tx.hash);
    assert.equal(r.status, 0);
    assert.equal(r.logs.length, 0);
    assert.ok(r.gasUsed > 21_000n && r.gasUsed < 100_000n, `gasUsed ${r.gasUsed}`);
    assert.equal(await counter.count(), before);
  });

  test('streams newHeads over WebSocket', { timeout: 30_000 }, async () => {
    const wsUrl = subnet.ws?.[0] ?? subnet.rpc[0].replace(/^http/, 'ws');
    wsProvider = new ethers.WebSocketProvider(wsUrl, Number(subnet.chainId), { staticNetwork: true });
    assert.equal(BigInt(await wsProvider.send('eth_chainId', [])), BigInt(subnet.chainId));

    const traffic = new ethers.Wallet(devnet.manifest.accounts[2]?.privateKey ?? devnet.manifest.accounts[0].privateKey, provider);
    const stopTraffic = keepBusy(traffic);
    try {
      await checkHeads();
    } finally {
      await stopTraffic();
    }
  });

  async function checkHeads() {
    // provider.on("block") is eth_subscribe newHeads inside ethers.
    const seen = [];
    await withTimeout(new Promise((resolve) => {
      wsProvider.on('block', (n) => {
        seen.push(n);
        if (seen.length >= 2) resolve();
      });
    }), 10_000, 'ws block events');
    await wsProvider.removeAllListeners('block');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `block numbers not increasing: ${seen}`);

    // The raw subscription: every notification for our ID is a full header.
    const sock = wsProvider.websocket;
    const notes = [];
    let subId = null;
    let wake = () => {};
    const onMessage = (ev) => {
      const msg = JSON.parse(typeof ev.data === 'string' ? ev.data : ev.data.toString());
      if (msg.method === 'eth_subscription') {
        notes.push(msg.params);
        wake();
      }
    };
    sock.addEventListener('message', onMessage);
    try {
      subId = await wsProvider.send('eth_subscribe', ['newHeads']);
      assert.match(subId, /^0x[0-9a-f]+$/i, 'subscription ID');
      const mine = () => notes.filter((p) => p.subscription === subId).map((p) => p.result);
      await withTimeout((async () => {
        while (mine().length < 2) await new Promise((r) => { wake = r; });
      })(), 10_000, 'raw newHeads notifications');
      const [h0, h1] = mine();
      for (const h of [h0, h1]) {
        for (const f of ['number', 'hash', 'parentHash', 'timestamp', 'stateRoot', 'gasLimit', 'baseFeePerGas', 'logsBloom', 'miner']) {
          assert.ok(h[f] != null, `newHeads notification lacks ${f}: ${JSON.stringify(h)}`);
        }
        // Ethereum block timestamps are seconds.
        const drift = Math.abs(Number(BigInt(h.timestamp)) - Date.now() / 1000);
        assert.ok(drift < 120, `head timestamp ${BigInt(h.timestamp)} is not within 2 minutes of now (seconds expected)`);
      }
      assert.equal(BigInt(h1.number), BigInt(h0.number) + 1n, 'newHeads skipped a block');
      assert.equal(h1.parentHash, h0.hash, 'consecutive heads do not link');
      const viaHttp = await provider.getBlock(BigInt(h0.number));
      assert.equal(viaHttp.hash, h0.hash, 'header hash over ws differs from eth_getBlockByNumber');
      assert.equal(await wsProvider.send('eth_unsubscribe', [subId]), true);
    } finally {
      sock.removeEventListener('message', onMessage);
    }
  }

  test(`sends ${BURST} back-to-back transactions with explicit nonces`, { timeout: 60_000 }, async (t) => {
    const key = devnet.manifest.accounts[1]?.privateKey ?? devnet.manifest.accounts[0].privateKey;
    const sender = new ethers.Wallet(key, provider);
    const to = ethers.Wallet.createRandom().address;
    const start = await provider.getTransactionCount(sender.address, 'latest');
    assert.equal(await provider.getTransactionCount(sender.address, 'pending'), start);
    const fee = await provider.getFeeData();
    assert.ok(fee.maxFeePerGas != null && fee.maxPriorityFeePerGas != null, 'no EIP-1559 fee data');

    const t0 = Date.now();
    const sent = [];
    for (let i = 0; i < BURST; i++) {
      sent.push(await sender.sendTransaction({
        type: 2, chainId: BigInt(subnet.chainId), nonce: start + i, to, value: BigInt(i + 1),
        gasLimit: 21_000n, maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas,
      }));
    }
    const tSent = Date.now();
    // Wallets take the next nonce from the "pending" tag: it must count the pool.
    assert.equal(await provider.getTransactionCount(sender.address, 'pending'), start + BURST);

    const receipts = await Promise.all(sent.map((tx) => tx.wait()));
    const tMined = Date.now();
    t.diagnostic(`${BURST} txs: sent in ${tSent - t0} ms, all mined after ${tMined - t0} ms`);

    assert.deepEqual(receipts.map((r) => r.status), Array(BURST).fill(1));
    const onChain = await Promise.all(sent.map((tx) => provider.getTransaction(tx.hash)));
    assert.deepEqual(onChain.map((tx) => tx.nonce), Array.from({ length: BURST }, (_, i) => start + i));
    for (let i = 1; i < BURST; i++) {
      const [a, b] = [receipts[i - 1], receipts[i]];
      assert.ok(a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.index < b.index),
        `nonce ${start + i} was mined before nonce ${start + i - 1}`);
    }
    assert.equal(await provider.getTransactionCount(sender.address, 'latest'), start + BURST);
    assert.equal(await provider.getBalance(to), BigInt((BURST * (BURST + 1)) / 2));
  });

  test('the gateway answers subnetId() and parentId()', { timeout: 10_000 }, async () => {
    assert.equal(ethers.getAddress(devnet.manifest.gateway ?? GATEWAY), ethers.getAddress(GATEWAY));
    const gw = new ethers.Contract(GATEWAY, [
      'function subnetId() view returns (string)',
      'function parentId() view returns (string)',
    ], provider);
    assert.equal(subnet.id, '/devnet');
    assert.equal(await gw.subnetId(), subnet.id);
    assert.equal(await gw.parentId(), '');
  });
});
