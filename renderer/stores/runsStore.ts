import { createStore, type StoreApi } from 'zustand/vanilla';
import type { IEngineService, IRunsService, RunState as RunStatus, RunSummary, ScalarQuery, ScalarSeries, XAxis } from '../../common/contract/index.js';
import { mergeSeries } from '../../common/metrics/mergeSeries.js';
import { createProxy, type Disposable } from '../../common/rpc/index.js';
import type { HostAdapter } from '../host/HostAdapter.js';

export interface ChartSettings {
  xAxis: XAxis;
  /** TensorBoard's slider: 0 (none) to 0.99. */
  smoothing: number;
  smoothingKind: ScalarQuery['smoothingKind'];
  logScale: boolean;
  /** Shows the tags that contain this text (or match it as a regular expression), as TensorBoard's tag filter. */
  tagFilter: string;
}

export interface RunFilter {
  /** Matches a run's name, folder, notes or an `hparam=value`. */
  text: string;
  status: RunStatus | 'all';
}

/** The hyperparameter table's order: `name`, `status`, `hparam:KEY` or `metric:KEY`. */
export interface RunSort {
  column: string;
  descending: boolean;
}

export interface RunsState {
  /** Whether the Runs view is showing: the store polls only then. */
  active: boolean;
  logdir: string | null;
  runs: RunSummary[];
  /** The first list has arrived. */
  loaded: boolean;
  /** Runs overlaid on the charts, in the order they were picked. */
  selected: string[];
  /** Each run's colour, kept for the session once given. */
  colours: Record<string, string>;
  /** The run whose details, distributions and confusion matrix show. */
  focus: string | null;
  filter: RunFilter;
  chart: ChartSettings;
  /** A chart's plot width in pixels: the host downsamples each series to about this many points. */
  chartWidth: number;
  /** Every selected run's series for the shown tags. */
  series: ScalarSeries[];
  /** The x axis those series were computed for (the setting may be newer). */
  seriesAxis: XAxis;
  /** The last failed call or action, in the user's terms, until the next success or dismissal. */
  notice: string | null;
  sort: RunSort;
  /** Runs resumed from this view, with the engine's run id to stop each. */
  resumed: Record<string, string>;
  /** The runs service itself, for the views that fetch one run's data (histograms, confusion). */
  api: IRunsService;
  setActive(active: boolean): void;
  refresh(): Promise<void>;
  openLogdir(logdir: string): Promise<void>;
  toggleSelected(id: string): void;
  setSelected(ids: string[]): void;
  setFocus(id: string | null): void;
  setFilter(patch: Partial<RunFilter>): void;
  setChart(patch: Partial<ChartSettings>): void;
  setChartWidth(pixels: number): void;
  /** Sorts the table by a column; the same column again reverses the order. */
  sortBy(column: string): void;
  rename(id: string, name: string): Promise<void>;
  setNotes(id: string, notes: string): Promise<void>;
  /** Deletes the run's folder (the view has asked the user). */
  remove(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Stops a run this view resumed; the current run stops through the run store. */
  stopResumed(id: string): Promise<void>;
  say(notice: string | null): void;
  dispose(): void;
}

export type RunsStore = StoreApi<RunsState>;

export interface RunsStoreOptions {
  host: HostAdapter;
  /**
   * Time between the starts of two scalar fetches while a selected run is running (170 ms: about
   * 6 a second, so that charts still update 5 times a second when timers run late on a busy machine).
   */
  scalarsPollMs?: number;
  /** Time between list refreshes while a listed run is running. */
  listPollMs?: number;
}

export const DEFAULT_CHART: ChartSettings = { xAxis: 'step', smoothing: 0.6, smoothingKind: 'ema', logScale: false, tagFilter: '' };

/** Distinct on dark and light backgrounds; beyond them, hues a golden angle apart. */
const PALETTE = ['#4e9df5', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#8cd17d', '#d37295', '#499894'];

function colourAt(i: number): string {
  return i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round(((i - PALETTE.length) * 137.508) % 360)} 62% 56%)`;
}

/** Keeps a run's colour unless another shown run has it; else the first colour no shown run uses. */
function assignColours(selected: string[], colours: Record<string, string>): Record<string, string> {
  const next = { ...colours };
  const taken = new Set<string>();
  for (const id of selected) {
    const mine = next[id];
    if (mine !== undefined && !taken.has(mine)) {
      taken.add(mine);
      continue;
    }
    let i = 0;
    while (taken.has(colourAt(i))) i++;
    next[id] = colourAt(i);
    taken.add(next[id]);
  }
  return next;
}

function errorText(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : String(err);
}

function valueText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** The runs the list shows under a filter, newest first. */
export function visibleRuns(runs: readonly RunSummary[], filter: RunFilter): RunSummary[] {
  const text = filter.text.trim().toLowerCase();
  return runs
    .filter((r) => filter.status === 'all' || r.status === filter.status)
    .filter((r) => {
      if (!text) return true;
      const fields = [r.name, r.id, r.notes ?? '', ...Object.entries(r.hparams).map(([k, v]) => `${k}=${valueText(v)}`)];
      return fields.some((f) => f.toLowerCase().includes(text));
    })
    .sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || a.name.localeCompare(b.name));
}

function tagMatcher(filter: string): (tag: string) => boolean {
  const text = filter.trim();
  if (!text) return () => true;
  try {
    const pattern = new RegExp(text, 'i');
    return (tag) => pattern.test(tag);
  } catch {
    return (tag) => tag.toLowerCase().includes(text.toLowerCase());
  }
}

/** The scalar tags of the selected runs that the tag filter lets through, in name order. */
export function shownTags(runs: readonly RunSummary[], selected: readonly string[], tagFilter: string): string[] {
  const ids = new Set(selected);
  const tags = new Set<string>();
  for (const r of runs) if (ids.has(r.id)) for (const t of r.tags) tags.add(t.tag);
  const matches = tagMatcher(tagFilter);
  return [...tags].filter(matches).sort();
}

const seriesKey = (x: ScalarSeries): string => `${x.run}\u0000${x.split}\u0000${x.tag}`;

/** After a failed fetch, the next poll of a running run waits this long. */
const ERROR_RETRY_MS = 2000;

/** Chart widths change in steps, so that resizing a window does not refetch at every pixel. */
const WIDTH_STEP = 32;

/**
 * The Runs view's state: the logdir's runs (refreshed on `runs.didChange`, polled while one
 * runs), which are overlaid and in what colour, filters, chart settings, and the scalar series of
 * the selected runs. While a selected run is running its series are fetched again every
 * `scalarsPollMs`, one request at a time, with the cursors of the series held: the host answers
 * with what changed (mergeSeries); finished runs are fetched only when what is asked changes.
 */
export function createRunsStore(options: RunsStoreOptions): RunsStore {
  const api = createProxy<IRunsService>(options.host);
  const engine = createProxy<IEngineService>(options.host);
  const scalarsPollMs = options.scalarsPollMs ?? 170;
  const listPollMs = options.listPollMs ?? 1000;

  /** Bumped whenever what the charts ask for changes: an answer to an older question is dropped. */
  let generation = 0;
  /** Every selected run must be fetched (not only the running ones). */
  let needAll = true;
  let scalarsInFlight = false;
  let scalarsStartedAt = 0;
  /** The last fetch failed: the next poll waits longer, so an unreachable host is not hammered. */
  let scalarsFailed = false;
  let scalarsTimer: ReturnType<typeof setTimeout> | undefined;
  let listInFlight: Promise<void> | null = null;
  let listAgain = false;
  let listTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs seen in a list, so that a run appearing later (a new training) is picked for the charts. */
  let seen: Set<string> | null = null;

  const store = createStore<RunsState>()((set, get) => {
    const isRunning = (id: string): boolean => get().runs.some((r) => r.id === id && r.status === 'running');

    const clearTimer = (timer: ReturnType<typeof setTimeout> | undefined): undefined => {
      if (timer !== undefined) clearTimeout(timer);
      return undefined;
    };

    /** What the charts show changed: fetch every selected run again, now or after the request in flight. */
    const chartsChanged = (): void => {
      generation++;
      needAll = true;
      void fetchScalars();
    };

    const scheduleScalars = (): void => {
      scalarsTimer = clearTimer(scalarsTimer);
      if (!get().active || scalarsInFlight) return;
      if (needAll) {
        void fetchScalars();
        return;
      }
      if (!get().selected.some(isRunning)) return;
      const wait = Math.max(0, (scalarsFailed ? ERROR_RETRY_MS : scalarsPollMs) - (Date.now() - scalarsStartedAt));
      scalarsTimer = setTimeout(() => void fetchScalars(), wait);
    };

    const fetchScalars = async (): Promise<void> => {
      if (!get().active || scalarsInFlight) return;
      scalarsTimer = clearTimer(scalarsTimer);
      const s = get();
      const all = needAll;
      const runs = all ? s.selected : s.selected.filter(isRunning);
      const tags = shownTags(s.runs, s.selected, s.chart.tagFilter);
      needAll = false;
      if (runs.length === 0 || tags.length === 0) {
        if (all) set({ series: [] });
        return;
      }
      const mine = generation;
      const query: ScalarQuery = { runs, tags, xAxis: s.chart.xAxis, smoothing: s.chart.smoothing, smoothingKind: s.chart.smoothingKind, width: s.chartWidth };
      if (!all) {
        // A poll: the host leaves out the series that did not change and sends the newest points of the others.
        const polled = new Set(runs);
        query.since = s.series.flatMap((x) => (polled.has(x.run) && x.cursor ? [x.cursor] : []));
      }
      scalarsInFlight = true;
      scalarsStartedAt = Date.now();
      try {
        const fresh = await api.scalars(query);
        scalarsFailed = false;
        if (mine === generation && all) set({ series: fresh, seriesAxis: query.xAxis });
        else if (mine === generation && fresh.length > 0) {
          // Unchanged series keep their objects, so that their charts are not drawn again.
          const answers = new Map(fresh.map((x) => [seriesKey(x), x]));
          const series = get().series.map((x) => {
            const answer = answers.get(seriesKey(x));
            answers.delete(seriesKey(x));
            return answer ? mergeSeries(x, answer) : x;
          });
          for (const answer of answers.values()) series.push(mergeSeries(undefined, answer));
          set({ series });
        }
      } catch (err) {
        scalarsFailed = true;
        if (mine === generation) set({ notice: `Cannot read the runs' scalars: ${errorText(err)}` });
      } finally {
        scalarsInFlight = false;
      }
      scheduleScalars();
    };

    const scheduleList = (): void => {
      listTimer = clearTimer(listTimer);
      if (get().active && get().runs.some((r) => r.status === 'running')) listTimer = setTimeout(() => void get().refresh(), listPollMs);
    };

    /** Takes a new list: drops runs that went away, picks new ones, refetches runs whose status changed. */
    const takeList = (runs: RunSummary[]): void => {
      const s = get();
      const ids = new Set(runs.map((r) => r.id));
      const before = new Map(s.runs.map((r) => [r.id, r.status]));
      let selected = s.selected.filter((id) => ids.has(id));
      if (seen === null) {
        // The first list: show the newest run.
        const newest = visibleRuns(runs, { text: '', status: 'all' })[0];
        if (selected.length === 0 && newest) selected = [newest.id];
      } else {
        for (const r of runs) if (!seen.has(r.id) && r.status === 'running' && !selected.includes(r.id)) selected = [...selected, r.id];
      }
      seen = new Set([...(seen ?? []), ...ids]);
      const statusChanged = selected.some((id) => before.get(id) !== runs.find((r) => r.id === id)?.status);
      const selectionChanged = selected.length !== s.selected.length || selected.some((id, i) => id !== s.selected[i]);
      const tagsChanged = shownTags(runs, selected, s.chart.tagFilter).join('\n') !== shownTags(s.runs, s.selected, s.chart.tagFilter).join('\n');
      const focus = s.focus !== null && ids.has(s.focus) ? s.focus : (selected[0] ?? null);
      set({ runs, loaded: true, selected, focus, colours: assignColours(selected, s.colours) });
      if (selectionChanged || tagsChanged) chartsChanged();
      else if (statusChanged) {
        // A run that just ended gets its last points once; one that just started starts polling.
        needAll = true;
        scheduleScalars();
      }
    };

    /** Replaces one run's summary after an action on it. */
    const replaceRun = (summary: RunSummary): void => {
      set({ runs: get().runs.map((r) => (r.id === summary.id ? summary : r)), notice: null });
    };

    const act = async (what: string, action: () => Promise<void>): Promise<void> => {
      try {
        await action();
      } catch (err) {
        set({ notice: `${what}: ${errorText(err)}` });
      }
    };

    const runName = (id: string): string => get().runs.find((r) => r.id === id)?.name ?? id;

    return {
      active: false,
      logdir: null,
      runs: [],
      loaded: false,
      selected: [],
      colours: {},
      focus: null,
      filter: { text: '', status: 'all' },
      chart: { ...DEFAULT_CHART },
      chartWidth: 480,
      series: [],
      seriesAxis: DEFAULT_CHART.xAxis,
      notice: null,
      sort: { column: 'name', descending: false },
      resumed: {},
      api,

      setActive(active) {
        if (active === get().active) return;
        set({ active });
        if (active) {
          needAll = true;
          void get().refresh().then(() => fetchScalars());
        } else {
          scalarsTimer = clearTimer(scalarsTimer);
          listTimer = clearTimer(listTimer);
        }
      },

      refresh() {
        // One list request at a time; a change announced meanwhile asks once more after it.
        if (listInFlight) {
          listAgain = true;
          return listInFlight;
        }
        listTimer = clearTimer(listTimer);
        listInFlight = (async () => {
          try {
            if (get().logdir === null) set({ logdir: (await api.logdir()).logdir });
            takeList(await api.listRuns());
          } catch (err) {
            set({ notice: `Cannot list the runs: ${errorText(err)}` });
          } finally {
            listInFlight = null;
          }
          if (listAgain) {
            listAgain = false;
            await get().refresh();
          } else scheduleList();
        })();
        return listInFlight;
      },

      async openLogdir(logdir) {
        await act(`Cannot open ${logdir}`, async () => {
          const opened = await api.openLogdir({ logdir });
          seen = null;
          set({ logdir: opened.logdir, runs: [], selected: [], focus: null, series: [], notice: null });
          takeList(opened.runs);
          chartsChanged();
          scheduleList();
        });
      },

      toggleSelected(id) {
        const { selected } = get();
        get().setSelected(selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id]);
      },

      setSelected(ids) {
        const known = new Set(get().runs.map((r) => r.id));
        const selected = ids.filter((id, i) => known.has(id) && ids.indexOf(id) === i);
        const focus = get().focus;
        set({ selected, colours: assignColours(selected, get().colours), focus: focus !== null && known.has(focus) ? focus : (selected[0] ?? null) });
        chartsChanged();
      },

      setFocus(id) {
        set({ focus: id });
      },

      setFilter(patch) {
        set({ filter: { ...get().filter, ...patch } });
      },

      setChart(patch) {
        const before = get().chart;
        const chart = { ...before, ...patch };
        set({ chart });
        // Log scale is drawing only; the rest changes what the host computes.
        const asked = (c: ChartSettings) => [c.xAxis, c.smoothing, c.smoothingKind, c.tagFilter].join('\n');
        if (asked(chart) !== asked(before)) chartsChanged();
      },

      setChartWidth(pixels) {
        const width = Math.max(WIDTH_STEP * 2, Math.round(pixels / WIDTH_STEP) * WIDTH_STEP);
        if (width === get().chartWidth) return;
        set({ chartWidth: width });
        chartsChanged();
      },

      sortBy(column) {
        const { sort } = get();
        // A new metric column shows the best first: highest, except for losses and errors.
        const bestFirst = column.startsWith('metric:') && !/loss|error/i.test(column);
        set({ sort: sort.column === column ? { column, descending: !sort.descending } : { column, descending: bestFirst } });
      },

      async rename(id, name) {
        const trimmed = name.trim();
        if (!trimmed || trimmed === runName(id)) return;
        await act(`Cannot rename ${runName(id)}`, async () => replaceRun(await api.renameRun({ run: id, name: trimmed })));
      },

      async setNotes(id, notes) {
        await act(`Cannot save the notes of ${runName(id)}`, async () => replaceRun(await api.setRunNotes({ run: id, notes })));
      },

      async remove(id) {
        await act(`Cannot delete ${runName(id)}`, async () => {
          await api.deleteRun({ run: id });
          const { [id]: _gone, ...resumed } = get().resumed;
          set({ runs: get().runs.filter((r) => r.id !== id), resumed, notice: null });
          get().setSelected(get().selected.filter((x) => x !== id));
          await get().refresh();
        });
      },

      async resume(id) {
        await act(`Cannot resume ${runName(id)}`, async () => {
          const { runId, run } = await api.resumeRun({ run: id });
          set({ resumed: { ...get().resumed, [run]: runId }, notice: null });
          await get().refresh();
          if (!get().selected.includes(run)) get().setSelected([...get().selected, run]);
          set({ focus: run });
        });
      },

      async stopResumed(id) {
        const runId = get().resumed[id];
        if (runId === undefined) return;
        await act(`Cannot stop ${runName(id)}`, async () => {
          await engine.stopRun({ runId });
          await get().refresh();
        });
      },

      say(notice) {
        set({ notice });
      },

      dispose() {
        set({ active: false });
        scalarsTimer = clearTimer(scalarsTimer);
        listTimer = clearTimer(listTimer);
        subscription.dispose();
      },
    };
  });

  const subscription: Disposable = options.host.onEvent((event) => {
    if (event === 'runs.didChange' && store.getState().active) void store.getState().refresh();
  });
  return store;
}
