import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Two network namespaces joined by a veth pair, both ends named `eth0`
 * inside their namespace (so rules that say `-i eth0` mean this link).
 * Addresses exist only inside the namespaces; everything is removed by
 * `destroy()`, which tests call in `finally`.
 */

let counter = 0;

export function run(cmd: string, args: readonly string[], input?: string, timeoutMs = 10_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { input, encoding: 'utf8', timeout: timeoutMs });
}

function must(cmd: string, args: readonly string[], input?: string): string {
  const r = run(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message || r.status}`);
  return r.stdout;
}

export function which(bin: string): boolean {
  return run('sh', ['-c', `command -v ${bin}`]).status === 0;
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: creating network namespaces needs root';
  for (const bin of ['ip', 'nft', 'iptables-legacy-restore', 'ip6tables-legacy-restore', 'iptables-legacy', 'ip6tables-legacy']) {
    if (!which(bin)) return `${bin} is not installed (apt-get install iptables nftables iproute2)`;
  }
  const name = `cflprobe${process.pid}`;
  const r = run('ip', ['netns', 'add', name]);
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  run('ip', ['netns', 'del', name]);
  return undefined;
}

export class NetnsPair {
  private constructor(
    /** Where the rule set under test is loaded. */
    readonly host: string,
    readonly peer: string,
  ) {}

  static create(): NetnsPair {
    const id = `${process.pid}x${counter++}`;
    const pair = new NetnsPair(`cflh${id}`, `cflp${id}`);
    try {
      must('ip', ['netns', 'add', pair.host]);
      must('ip', ['netns', 'add', pair.peer]);
      must('ip', ['link', 'add', `cfa${id}`, 'netns', pair.host, 'type', 'veth', 'peer', 'name', `cfb${id}`, 'netns', pair.peer]);
      for (const [ns, dev] of [[pair.host, `cfa${id}`], [pair.peer, `cfb${id}`]]) {
        must('ip', ['-n', ns, 'link', 'set', dev, 'name', 'eth0']);
        must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (e) {
      pair.destroy();
      throw e;
    }
    return pair;
  }

  exec(ns: string, cmd: string, args: readonly string[], input?: string, timeoutMs?: number): SpawnSyncReturns<string> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], input, timeoutMs);
  }

  /** Puts each address on eth0 in its namespace and routes the other side's addresses over the link. */
  addresses(hostAddrs: readonly string[], peerAddrs: readonly string[]): void {
    for (const [ns, mine, theirs] of [[this.host, hostAddrs, peerAddrs], [this.peer, peerAddrs, hostAddrs]] as const) {
      for (const a of mine) {
        const v6 = a.includes(':');
        must('ip', ['-n', ns, ...(v6 ? ['-6'] : []), 'addr', 'add', `${a}/${v6 ? 128 : 32}`, 'dev', 'eth0', ...(v6 ? ['nodad'] : [])]);
      }
      for (const a of theirs) {
        const v6 = a.includes(':');
        must('ip', ['-n', ns, ...(v6 ? ['-6'] : []), 'route', 'add', `${a}/${v6 ? 128 : 32}`, 'dev', 'eth0']);
      }
    }
  }

  destroy(): void {
    run('ip', ['netns', 'del', this.host]);
    run('ip', ['netns', 'del', this.peer]);
  }
}

export interface Exchange {
  readonly protocol: 'tcp' | 'udp';
  readonly source: string;
  readonly destination: string;
  readonly port: number;
}

const SERVER = `
const net = require('net'), dgram = require('dgram');
const eps = JSON.parse(process.argv[2]);
let ready = 0;
const done = () => { if (++ready === eps.length) process.stdout.write('ready\\n'); };
if (eps.length === 0) process.stdout.write('ready\\n');
for (const e of eps) {
  if (e.protocol === 'tcp') {
    const s = net.createServer((c) => { c.on('data', (d) => c.end(d)); c.on('error', () => {}); });
    s.on('error', (err) => { process.stderr.write(String(err)); done(); });
    s.listen(e.port, e.destination, done);
  } else {
    const s = dgram.createSocket(e.destination.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.on('error', (err) => { process.stderr.write(String(err)); done(); });
    s.bind(e.port, e.destination, done);
  }
}
setTimeout(() => process.exit(0), 20000);
`;

const CLIENT = `
const net = require('net'), dgram = require('dgram');
const eps = JSON.parse(process.argv[2]);
const WAIT = Number(process.argv[3] || 500);
const one = (e) => new Promise((resolve) => {
  const finish = (ok) => { clearTimeout(timer); resolve(ok); };
  const timer = setTimeout(() => { try { sock.destroy ? sock.destroy() : sock.close(); } catch {} resolve(false); }, WAIT);
  let sock;
  if (e.protocol === 'tcp') {
    sock = net.connect({ host: e.destination, port: e.port, localAddress: e.source });
    sock.on('connect', () => sock.write('ping'));
    sock.on('data', (d) => { finish(String(d) === 'ping'); sock.destroy(); });
    sock.on('error', () => finish(false));
  } else {
    sock = dgram.createSocket(e.destination.includes(':') ? 'udp6' : 'udp4');
    sock.on('error', () => finish(false));
    sock.on('message', (m) => { finish(String(m) === 'ping'); sock.close(); });
    sock.bind(0, e.source, () => sock.send('ping', e.port, e.destination));
  }
});
Promise.all(eps.map(one)).then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); });
`;

/**
 * Runs every exchange at once: servers in their namespaces, then clients;
 * each exchange waits 500 ms, and one that failed is tried once more with
 * 1.5 s. Returns, per exchange, whether the
 * echo came back.
 */
export async function exchange(
  pair: NetnsPair,
  items: readonly { readonly exchange: Exchange; readonly clientIn: 'host' | 'peer' }[],
): Promise<boolean[]> {
  return exchangeAcross(items.map((i) => ({ exchange: i.exchange, clientNs: i.clientIn === 'host' ? pair.host : pair.peer, serverNs: i.clientIn === 'host' ? pair.peer : pair.host })));
}

/** The same between any namespaces: each exchange's client runs in `clientNs`, its echo server in `serverNs`. */
export async function exchangeAcross(items: readonly { readonly exchange: Exchange; readonly clientNs: string; readonly serverNs: string }[]): Promise<boolean[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-'));
  const serverJs = path.join(dir, 'server.js');
  const clientJs = path.join(dir, 'client.js');
  fs.writeFileSync(serverJs, SERVER);
  fs.writeFileSync(clientJs, CLIENT);
  const servers: ReturnType<typeof spawn>[] = [];
  try {
    for (const ns of new Set(items.map((i) => i.serverNs))) {
      const eps = items.filter((i) => i.serverNs === ns).map((i) => i.exchange);
      const unique = [...new Map(eps.map((e) => [`${e.protocol} ${e.destination} ${e.port}`, e])).values()];
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, serverJs, JSON.stringify(unique)], { stdio: ['ignore', 'pipe', 'pipe'] });
      servers.push(child);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('server did not start within 5 s')), 5000);
        child.stdout?.on('data', (d: Buffer) => {
          if (String(d).includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', () => {
          clearTimeout(timer);
          reject(new Error('server exited early'));
        });
      });
    }
    const results: boolean[] = new Array(items.length).fill(false);
    // A busy machine can make an allowed echo slower than the first wait, never a dropped one come back, so only
    // the exchanges that failed are tried again, once, with a longer wait.
    for (const [wait, retry] of [[500, false], [1500, true]] as const) {
      for (const ns of new Set(items.map((i) => i.clientNs))) {
        const idx = items.map((i, k) => ({ i, k })).filter((x) => x.i.clientNs === ns && (!retry || !results[x.k]));
        if (idx.length === 0) continue;
        const r = run('ip', ['netns', 'exec', ns, process.execPath, clientJs, JSON.stringify(idx.map((x) => x.i.exchange)), String(wait)], undefined, 15_000);
        const parsed = JSON.parse(r.stdout || '[]') as boolean[];
        idx.forEach((x, j) => (results[x.k] = parsed[j] === true));
      }
    }
    return results;
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Three network namespaces in a line, user — router — server, the router
 * forwarding between two /24 networks (user side eth0, server side eth1), so
 * a packet from the user to the server crosses the router's FORWARD chain and
 * then the server's INPUT chain, as a session crosses a firewall and the
 * VDA's own.
 */
export class NetnsChain {
  private constructor(
    readonly user: string,
    readonly router: string,
    readonly server: string,
  ) {}

  /** `userNet`/`serverNet` are /24 prefixes such as "10.60.0"; the router is .1 on both, the ends the given host numbers. */
  static create(userNet: string, serverNet: string, userHost: number, serverHost: number): NetnsChain {
    const id = `${process.pid}x${counter++}`;
    const chain = new NetnsChain(`cflu${id}`, `cflr${id}`, `cfls${id}`);
    try {
      for (const ns of [chain.user, chain.router, chain.server]) {
        must('ip', ['netns', 'add', ns]);
        must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      const links: [string, string, string, string, string][] = [
        [chain.user, 'eth0', chain.router, 'eth0', userNet],
        [chain.server, 'eth0', chain.router, 'eth1', serverNet],
      ];
      links.forEach(([endNs, endDev, routerNs, routerDev, net], i) => {
        const a = `cfc${id}a${i}`;
        const b = `cfc${id}b${i}`;
        must('ip', ['link', 'add', a, 'netns', endNs, 'type', 'veth', 'peer', 'name', b, 'netns', routerNs]);
        must('ip', ['-n', endNs, 'link', 'set', a, 'name', endDev]);
        must('ip', ['-n', routerNs, 'link', 'set', b, 'name', routerDev]);
        must('ip', ['-n', endNs, 'addr', 'add', `${net}.${i === 0 ? userHost : serverHost}/24`, 'dev', endDev]);
        must('ip', ['-n', routerNs, 'addr', 'add', `${net}.1/24`, 'dev', routerDev]);
        must('ip', ['-n', endNs, 'link', 'set', endDev, 'up']);
        must('ip', ['-n', routerNs, 'link', 'set', routerDev, 'up']);
        must('ip', ['-n', endNs, 'route', 'add', 'default', 'via', `${net}.1`]);
      });
      must('ip', ['netns', 'exec', chain.router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    } catch (e) {
      chain.destroy();
      throw e;
    }
    return chain;
  }

  /** Loads an iptables-save file into one namespace with the real iptables-legacy-restore. */
  restore(ns: string, rules: string): SpawnSyncReturns<string> {
    return run('ip', ['netns', 'exec', ns, 'iptables-legacy-restore'], rules);
  }

  destroy(): void {
    for (const ns of [this.user, this.router, this.server]) run('ip', ['netns', 'del', ns]);
  }
}
