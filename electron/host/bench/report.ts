/** `kiln bench`: Kiln's workloads next to its peers, as a table or as one JSON object. */
import { cpus } from 'node:os';
import { PEERS, peerMissing, runPeer, type PeerName } from './peers.js';
import { TITLES, WORKLOADS, runKilnWorkload, type WorkloadName, type WorkloadResult } from './workloads.js';

export interface BenchEntry {
  name: string;
  unit: string;
  kiln: number;
  peers: Partial<Record<PeerName, number>>;
}

export interface BenchOptions {
  workloads: WorkloadName[];
  peers: boolean;
  /** Threads the peers use; Kiln's pool is sized to the machine. */
  threads: number;
  log: (line: string) => void;
}

export async function runBench(o: BenchOptions): Promise<{ workloads: BenchEntry[] }> {
  const results: WorkloadResult[] = [];
  for (const name of o.workloads) {
    o.log(`kiln ${name}...`);
    results.push(await runKilnWorkload(name));
  }
  const peerFigures = new Map<PeerName, Map<string, number>>();
  if (o.peers) {
    for (const peer of PEERS) {
      const missing = peerMissing(peer);
      if (missing) {
        o.log(`${peer}: not measured (${missing})`);
        continue;
      }
      o.log(`${peer} ${o.workloads.join(', ')}...`);
      peerFigures.set(peer, runPeer(peer, o.workloads, o.threads));
    }
  }
  return {
    workloads: results.map((r) => ({
      name: r.name,
      unit: r.unit,
      kiln: r.value,
      peers: Object.fromEntries([...peerFigures].filter(([, m]) => m.has(r.name)).map(([p, m]) => [p, m.get(r.name)!])),
    })),
  };
}

/** How many times faster Kiln is than a peer (for us/step, lower is better). */
export function speedup(unit: string, kiln: number, peer: number): number {
  return unit === 'us/step' ? peer / kiln : kiln / peer;
}

export function formatBench(report: { workloads: BenchEntry[] }): string {
  const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
  const lines = [`Kiln bench: float32, ${cpus().length} CPU threads, peers pinned to the same count; speed-up > 1 means Kiln is faster`];
  lines.push(['', 'unit', 'kiln', 'keras', 'pytorch', 'vs keras', 'vs pytorch'].map((c, i) => (i === 0 ? c.padEnd(4) : c.padStart(11))).join(''));
  for (const w of report.workloads) {
    const cells = [w.unit, fmt(w.kiln), fmt(w.peers.keras), fmt(w.peers.pytorch),
      w.peers.keras ? `${speedup(w.unit, w.kiln, w.peers.keras).toFixed(2)}x` : '-',
      w.peers.pytorch ? `${speedup(w.unit, w.kiln, w.peers.pytorch).toFixed(2)}x` : '-'];
    lines.push(w.name.padEnd(4) + cells.map((c) => c.padStart(11)).join('') + `   ${TITLES[w.name as WorkloadName] ?? ''}`);
  }
  return lines.join('\n');
}

export { WORKLOADS };
