import { useLayoutEffect, useMemo, useRef, type RefObject } from 'react';
import { useUi } from '../../AppServices.js';
import { shownTags } from '../../stores/runsStore.js';
import { ChartSettingsBar } from './ChartSettingsBar.js';
import { PLOT_MARGIN, type DrawnSeries } from './drawScalars.js';
import { ScalarChart } from './ScalarChart.js';
import { useRuns, useRunsStore } from './useRuns.js';

/** The grid's narrowest column and its gap (kept in step with .scalar-grid in app.css). */
const MIN_CARD = 380;
const GAP = 12;

/**
 * Reports a chart's plot width to the store: the host sends about that many points per series.
 * Measured in a layout effect, which runs before the Runs view's effect starts fetching, so the
 * first fetch already has the right width.
 */
function useChartWidth(ref: RefObject<HTMLDivElement | null>): void {
  const store = useRunsStore();
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const report = (width: number) => {
      if (width <= 0) return;
      const columns = Math.max(1, Math.floor((width + GAP) / (MIN_CARD + GAP)));
      const card = (width - GAP * (columns - 1)) / columns;
      store.getState().setChartWidth(card - PLOT_MARGIN.left - PLOT_MARGIN.right);
    };
    const style = getComputedStyle(el);
    report(el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
    const observer = new ResizeObserver(([entry]) => report(entry.contentRect.width));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, store]);
}

function Legend({ ids, names, colours, smoothed }: { ids: string[]; names: Record<string, string>; colours: Record<string, string>; smoothed: boolean }) {
  return (
    <div className="runs-legend" data-testid="runs-legend">
      {ids.map((id) => (
        <span key={id} className="runs-legend-item">
          <span className="run-swatch" style={{ background: colours[id] }} />
          {names[id] ?? id}
        </span>
      ))}
      <span className="card-title-spacer" />
      <span className="muted legend-key">
        <span className="line-key solid" /> train <span className="line-key dashed" /> validation
        {smoothed && <> · faint line: raw values</>}
      </span>
    </div>
  );
}

/** The scalars: settings, a legend, and one chart per tag with every selected run overlaid. */
export function ScalarsPanel() {
  const gridRef = useRef<HTMLDivElement>(null);
  useChartWidth(gridRef);
  const chart = useRuns((s) => s.chart);
  const series = useRuns((s) => s.series);
  const seriesAxis = useRuns((s) => s.seriesAxis);
  const runs = useRuns((s) => s.runs);
  const selected = useRuns((s) => s.selected);
  const colours = useRuns((s) => s.colours);
  const loaded = useRuns((s) => s.loaded);
  const logdir = useRuns((s) => s.logdir);
  const theme = useUi((s) => s.theme);
  const tags = useMemo(() => shownTags(runs, selected, chart.tagFilter), [runs, selected, chart.tagFilter]);
  // The list refreshes every second while a run trains; the names (a prop of every chart) only on a rename.
  const namesKey = runs.map((r) => `${r.id}\u0000${r.name}`).join('\n');
  const names = useMemo(() => Object.fromEntries(runs.map((r) => [r.id, r.name])), [namesKey]);
  const previous = useRef(new Map<string, DrawnSeries[]>());
  const byTag = useMemo(() => {
    const order = new Map(selected.map((id, i) => [id, i]));
    const out = new Map<string, DrawnSeries[]>();
    for (const s of series) {
      if (!order.has(s.run)) continue;
      const list = out.get(s.tag) ?? [];
      list.push({ series: s, colour: colours[s.run] ?? 'gray' });
      out.set(s.tag, list);
    }
    for (const [tag, list] of out) {
      list.sort((a, b) => order.get(a.series.run)! - order.get(b.series.run)! || a.series.split.localeCompare(b.series.split));
      // A tag whose series did not change keeps its list, so that its chart is not drawn again.
      const before = previous.current.get(tag);
      if (before && before.length === list.length && before.every((d, i) => d.series === list[i].series && d.colour === list[i].colour)) out.set(tag, before);
    }
    previous.current = out;
    return out;
  }, [series, colours, selected]);
  const smoothed = chart.smoothing > 0;

  let empty: string | null = null;
  if (!loaded) empty = 'Reading the runs…';
  else if (runs.length === 0) empty = `No runs yet in ${logdir ?? 'the logdir'}. Train a model: each run shows here while it trains.`;
  else if (selected.length === 0) empty = 'Tick runs in the list to chart them; several overlay in their colours.';
  else if (tags.length === 0) empty = chart.tagFilter ? `No scalar tag of the selected runs matches “${chart.tagFilter}”.` : 'The selected runs have no scalars yet.';

  return (
    <div className="runs-panel" data-testid="scalars-panel">
      <ChartSettingsBar />
      {selected.length > 0 && <Legend ids={selected} names={names} colours={colours} smoothed={smoothed} />}
      <div ref={gridRef} className="scalar-grid">
        {empty ? (
          <div className="runs-empty">{empty}</div>
        ) : (
          tags.map((tag) => <ScalarChart key={tag} tag={tag} items={byTag.get(tag) ?? []} names={names} xAxis={seriesAxis} logScale={chart.logScale} smoothed={smoothed} theme={theme} />)
        )}
      </div>
    </div>
  );
}
