// Compiles AtomicDvP.sol into AtomicDvP.json (ABI and creation code of
// DemoToken and AtomicDvP) with the solc-js of test/client, pinned there:
//   cd test/client && npm ci && node ../../docs/examples/dvp/compile.mjs
// Settings as test/client/compile.mjs: optimizer on, 200 runs, evmVersion
// prague (the newest fork Aspen activates).
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const here = new URL('.', import.meta.url);
const solc = createRequire(new URL('../../../test/client/package.json', import.meta.url))('solc');
const read = (p) => readFile(new URL(p, here), 'utf8');

const input = {
  language: 'Solidity',
  sources: {
    'docs/examples/dvp/AtomicDvP.sol': { content: await read('AtomicDvP.sol') },
    'docs/IAtomicParticipant.sol': { content: await read('../../IAtomicParticipant.sol') },
    'docs/IGateway.sol': { content: await read('../../IGateway.sol') },
  },
  settings: {
    evmVersion: 'prague',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { 'docs/examples/dvp/AtomicDvP.sol': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length > 0) {
  throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
}
const result = { compiler: `solc ${solc.version()}, optimizer 200 runs, evmVersion prague`, contracts: {} };
for (const [name, c] of Object.entries(out.contracts['docs/examples/dvp/AtomicDvP.sol'])) {
  result.contracts[name] = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}
await writeFile(new URL('AtomicDvP.json', here), JSON.stringify(result, null, 1) + '\n');
console.log(`wrote AtomicDvP.json (${Object.keys(result.contracts).join(', ')}) with solc ${solc.version()}`);
