// Compiles an example's Solidity file into a JSON file beside it (ABI and
// creation code of every contract in it), with the solc-js of test/client,
// pinned there, and the settings of test/client/compile.mjs: optimizer on,
// 200 runs, evmVersion prague (the newest fork Aspen activates). Imports
// of docs/ (IGateway.sol, IAtomicParticipant.sol, IHatchToken.sol) resolve.
//
//   cd test/client && npm ci && node ../../docs/examples/compile.mjs ../../docs/examples/hatchtoken/HatchToken.sol
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const solc = createRequire(join(docs, '..', 'test', 'client', 'package.json'))('solc');
const file = process.argv[2];
if (!file || !file.endsWith('.sol')) throw new Error('usage: node compile.mjs PATH/TO/Example.sol');
const path = resolve(file);
const name = 'docs/' + relative(docs, path);

const sources = { [name]: { content: await readFile(path, 'utf8') } };
for (const i of ['IGateway.sol', 'IAtomicParticipant.sol', 'IHatchToken.sol']) {
  sources['docs/' + i] = { content: await readFile(join(docs, i), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'prague',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { [name]: { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length > 0) {
  throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
}
const result = { compiler: `solc ${solc.version()}, optimizer 200 runs, evmVersion prague`, contracts: {} };
for (const [c, o] of Object.entries(out.contracts[name])) {
  result.contracts[c] = { abi: o.abi, bytecode: '0x' + o.evm.bytecode.object };
}
const target = join(dirname(path), basename(path, '.sol') + '.json');
await writeFile(target, JSON.stringify(result, null, 1) + '\n');
console.log(`wrote ${relative(process.cwd(), target)} (${Object.keys(result.contracts).join(', ')}) with solc ${solc.version()}`);
