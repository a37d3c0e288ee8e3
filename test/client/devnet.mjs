// Starts and stops a real `aspen devnet` for the client tests.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const OUTPUT_LIMIT = 64 * 1024; // keep the last 64 KiB of each stream for failure messages

// Returns the path of the aspen binary: $ASPEN_BIN if set, else a fresh build
// of ./cmd/aspen into dir.
export async function aspenBinary(dir, timeoutMs) {
  if (process.env.ASPEN_BIN) return resolve(process.env.ASPEN_BIN);
  const out = join(dir, 'aspen');
  await new Promise((ok, fail) => {
    execFile('go', ['build', '-o', out, './cmd/aspen'], { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`go build ./cmd/aspen failed (${err.message.split('\n')[0]}):\n${stderr}${stdout}`));
        else ok();
      });
  });
  return out;
}

// A TCP port that was free a moment ago on 127.0.0.1.
export async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

function tail(chunks) {
  const s = Buffer.concat(chunks).toString('utf8');
  return s.length > OUTPUT_LIMIT ? '…' + s.slice(-OUTPUT_LIMIT) : s;
}

function collect(stream, chunks) {
  let size = 0;
  stream.on('data', (b) => {
    chunks.push(b);
    size += b.length;
    while (size > 2 * OUTPUT_LIMIT && chunks.length > 1) size -= chunks.shift().length;
  });
}

// Devnet is one running `aspen devnet` child process.
export class Devnet {
  constructor(bin, home, port, child, args) {
    this.bin = bin;
    this.args = args;
    this.home = home;
    this.port = port;
    this.child = child;
    this.stdout = [];
    this.stderr = [];
    this.manifest = null;
    collect(child.stdout, this.stdout);
    collect(child.stderr, this.stderr);
    this.exited = new Promise((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
    this.exitStatus = null;
    this.exited.then((s) => { this.exitStatus = s; });
  }

  // Starts `aspen devnet` in a fresh temporary home and waits until it has
  // written devnet.json.
  static async start({ buildTimeoutMs = 150_000, startTimeoutMs = 60_000, blockTime = '200ms' } = {}) {
    const home = await mkdtemp(join(tmpdir(), 'aspen-client-'));
    let d = null;
    try {
      const bin = await aspenBinary(home, buildTimeoutMs);
      const port = await freePort();
      const args = ['devnet', '--home', join(home, 'devnet'), '--engine', 'solo', '--port', String(port), '--block-time', blockTime];
      // detached: its own process group, so a kill reaches it and nothing else of ours.
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      d = new Devnet(bin, home, port, child, args);
      await d.#waitManifest(join(home, 'devnet', 'devnet.json'), startTimeoutMs);
      return d;
    } catch (err) {
      if (d) await d.kill();
      await rm(home, { recursive: true, force: true });
      throw err;
    }
  }

  describe() {
    return `${this.bin} ${this.args.join(' ')}\n--- stderr ---\n${tail(this.stderr)}\n--- stdout ---\n${tail(this.stdout)}`;
  }

  async #waitManifest(path, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let lastErr = null;
    for (;;) {
      if (this.exitStatus) {
        throw new Error(`aspen devnet exited (${JSON.stringify(this.exitStatus)}) before writing ${path}:\n${this.describe()}`);
      }
      try {
        this.manifest = JSON.parse(await readFile(path, 'utf8'));
        return;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() > deadline) {
        throw new Error(`aspen devnet did not write a valid ${path} within ${timeoutMs} ms (last error: ${lastErr?.message}):\n${this.describe()}`);
      }
      await delay(100);
    }
  }

  // Sends SIGINT (what Ctrl-C does) and waits for the process to exit.
  // Returns {code, signal}; kills everything and throws if it hangs.
  async stop(timeoutMs = 30_000) {
    if (!this.exitStatus) this.child.kill('SIGINT');
    const timer = delay(timeoutMs, 'timeout', { ref: false });
    const res = await Promise.race([this.exited, timer]);
    if (res === 'timeout') {
      await this.kill(0);
      throw new Error(`aspen devnet did not exit within ${timeoutMs} ms of SIGINT:\n${this.describe()}`);
    }
    return res;
  }

  // Stops the devnet whatever its state: SIGINT first, so that it stops the
  // nodes it started (they run in process groups of their own), then SIGKILL
  // for the devnet's group and every node devnet.json lists.
  async kill(graceMs = 20_000) {
    if (this.exitStatus) return;
    this.child.kill('SIGINT');
    const res = await Promise.race([this.exited, delay(graceMs, 'timeout', { ref: false })]);
    if (res !== 'timeout') return;
    const pids = (this.manifest?.nodes ?? []).map((n) => n.pid).filter(Boolean);
    for (const target of [-this.child.pid, ...pids]) {
      try { process.kill(target, 'SIGKILL'); } catch { /* already gone */ }
    }
    await Promise.race([this.exited, delay(5_000, 'timeout', { ref: false })]);
  }

  async cleanup() {
    await this.kill();
    await rm(this.home, { recursive: true, force: true });
  }
}
