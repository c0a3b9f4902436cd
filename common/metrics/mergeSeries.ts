import type { ScalarSeries } from '../contract/index.js';

/**
 * The series a client holds after an answer about it: the answer itself, or, for an append (the
 * host sent only what changed since `held`'s cursor), the points of `held` it says to keep
 * followed by the answer's.
 */
export function mergeSeries(held: ScalarSeries | undefined, answer: ScalarSeries): ScalarSeries {
  const { append, ...rest } = answer;
  if (!append) return answer;
  if (!held) throw new Error(`an append to ${answer.run} ${answer.split} ${answer.tag}, which the client does not hold`);
  const join = (a: number[], b: number[], keep: number) => a.slice(0, keep).concat(b);
  return {
    ...rest,
    raw: { x: join(held.raw.x, answer.raw.x, append.raw), y: join(held.raw.y, answer.raw.y, append.raw) },
    smoothed: { x: join(held.smoothed.x, answer.smoothed.x, append.smoothed), y: join(held.smoothed.y, answer.smoothed.y, append.smoothed) },
  };
}
