// Checks a Chrome trace as Perfetto reads it: times in whole nanoseconds, complete (X) events
// nesting perfectly on each thread, and what the op events add up to.
import type { ChromeTrace, TraceEvent } from '../../../common/profile/index.js';

const ns = (us: number) => Math.round(us * 1000);

/** Problems with the nesting of X events, per thread (none when they nest). */
export function nestingProblems(trace: ChromeTrace): string[] {
  const problems: string[] = [];
  const threads = new Map<string, TraceEvent[]>();
  for (const e of trace.traceEvents) {
    if (e.ph !== 'X') continue;
    if (!(typeof e.ts === 'number' && typeof e.dur === 'number' && e.dur >= 0 && e.ts >= 0)) problems.push(`${e.name}: ts and dur must be numbers >= 0`);
    const key = `${e.pid}/${e.tid}`;
    threads.set(key, [...(threads.get(key) ?? []), e]);
  }
  for (const [thread, events] of threads) {
    // Parents first: earlier start, then longer.
    const sorted = [...events].sort((a, b) => ns(a.ts!) - ns(b.ts!) || ns(b.dur!) - ns(a.dur!));
    const open: TraceEvent[] = [];
    for (const e of sorted) {
      while (open.length > 0 && ns(open.at(-1)!.ts!) + ns(open.at(-1)!.dur!) <= ns(e.ts!)) open.pop();
      const parent = open.at(-1);
      if (parent && ns(e.ts!) + ns(e.dur!) > ns(parent.ts!) + ns(parent.dur!)) problems.push(`thread ${thread}: ${e.name} overlaps the end of ${parent.name}`);
      open.push(e);
    }
  }
  return problems;
}

/** µs of the op events and of the step event. */
export function traceTotals(trace: ChromeTrace): { opsUs: number; waitUs: number; stepUs: number } {
  const sum = (cat: string, name?: string) => trace.traceEvents.filter((e) => e.cat === cat && (name === undefined || e.name === name)).reduce((a, e) => a + e.dur!, 0);
  return { opsUs: sum('op'), waitUs: sum('phase', 'data wait'), stepUs: sum('step') };
}
