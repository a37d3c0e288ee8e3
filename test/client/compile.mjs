// Compiles the test contracts with solc-js at test time.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

const contractsDir = join(dirname(fileURLToPath(import.meta.url)), 'contracts');

// compile returns {abi, bytecode} of contract `name` in contracts/<file>.
// The EVM version is pinned to Prague, the newest fork Aspen activates: a newer
// compiler default could emit opcodes the chain does not have.
export async function compile(file, name) {
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: await readFile(join(contractsDir, file), 'utf8') } },
    settings: {
      evmVersion: 'prague',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const c = out.contracts?.[file]?.[name];
  if (!c) throw new Error(`solc output has no contract ${name} in ${file}`);
  return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
}
