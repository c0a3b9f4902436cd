/**
 * Runs a callback once on the next animation frame. Where there are no frames (Node, tests) or
 * frames are paused (a hidden window), a timer runs it instead, whichever comes first.
 */
export type ScheduleFrame = (callback: () => void) => void;

type FrameGlobals = {
  requestAnimationFrame?: (callback: (time: number) => void) => number;
  cancelAnimationFrame?: (handle: number) => void;
};

/** A hidden window gets no frames; after this long a timer delivers the update anyway. */
const FALLBACK_MS = 100;
/** Without requestAnimationFrame at all, about one frame at 60 Hz. */
const NO_RAF_MS = 16;

export const scheduleFrame: ScheduleFrame = (callback) => {
  const g = globalThis as FrameGlobals;
  if (typeof g.requestAnimationFrame !== 'function') {
    setTimeout(callback, NO_RAF_MS);
    return;
  }
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (frame !== undefined) g.cancelAnimationFrame?.(frame);
    callback();
  };
  const timer = setTimeout(run, FALLBACK_MS);
  const frame: number | undefined = g.requestAnimationFrame(run);
};
