import { createSignal, For, Show, type JSX } from "solid-js";
import { bandPath, barSlots, labelIndexes, linearScale, niceTicks, stack } from "./plotMath.js";

/**
 * The dashboard's charts, drawn in SVG by hand (no chart library): a stacked area, grouped bars, a histogram and
 * horizontal bars. Each chart is an image with a title and a description for assistive technology, and a button
 * that shows its numbers as a table instead.
 */

const W = 560;
const H = 240;
const M = { top: 12, right: 12, bottom: 44, left: 48 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

let nextId = 0;

export interface Series {
  readonly key: string;
  readonly label: string;
  /** A CSS colour, e.g. `var(--ch-new)`. */
  readonly color: string;
}

/** A card holding one chart, its legend and its table toggle. */
export function ChartCard(props: {
  title: string;
  desc: string;
  testId: string;
  legend?: readonly Series[];
  chart: () => JSX.Element;
  table: () => JSX.Element;
  empty?: boolean;
}) {
  const [asTable, setAsTable] = createSignal(false);
  return (
    <section class="dash-card" data-testid={props.testId} aria-label={props.title}>
      <header class="dash-card-head">
        <h2>{props.title}</h2>
        <span class="spacer" />
        <Show when={!props.empty}>
          <button
            type="button"
            class="btn ghost"
            aria-pressed={asTable()}
            onClick={() => setAsTable(!asTable())}
            data-testid="table-toggle"
          >
            {asTable() ? "Show chart" : "Show table"}
          </button>
        </Show>
      </header>
      <Show when={!props.empty} fallback={<p class="muted dash-empty">{props.desc}</p>}>
        <Show when={asTable()} fallback={props.chart()}>
          <div class="dash-table-wrap">{props.table()}</div>
        </Show>
        <Show when={props.legend && !asTable()}>
          <ul class="dash-legend">
            <For each={props.legend}>
              {(s) => (
                <li>
                  <i style={{ background: s.color }} />
                  {s.label}
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
    </section>
  );
}

/** The `<svg>` with its accessible name (`<title>`) and description (`<desc>`). */
function Svg(props: { title: string; desc: string; children: JSX.Element; height?: number }) {
  const id = `dash-svg-${++nextId}`;
  return (
    <svg
      class="dash-chart"
      viewBox={`0 0 ${W} ${props.height ?? H}`}
      role="img"
      aria-labelledby={`${id}-t ${id}-d`}
      preserveAspectRatio="xMidYMid meet"
    >
      <title id={`${id}-t`}>{props.title}</title>
      <desc id={`${id}-d`}>{props.desc}</desc>
      {props.children}
    </svg>
  );
}

function YAxis(props: { ticks: readonly number[]; y: (v: number) => number; format?: (v: number) => string }) {
  return (
    <g class="dash-axis">
      <For each={props.ticks}>
        {(t) => (
          <g>
            <line x1={M.left} x2={W - M.right} y1={props.y(t)} y2={props.y(t)} class="dash-gridline" />
            <text x={M.left - 6} y={props.y(t) + 4} text-anchor="end">
              {props.format ? props.format(t) : t.toLocaleString()}
            </text>
          </g>
        )}
      </For>
    </g>
  );
}

function anchor(x: number): "start" | "middle" | "end" {
  return x <= M.left + 1 ? "start" : x >= W - M.right - 1 ? "end" : "middle";
}

function XLabels(props: { labels: readonly string[]; x: (i: number) => number; max?: number }) {
  return (
    <g class="dash-axis">
      <For each={labelIndexes(props.labels.length, props.max ?? 8)}>
        {(i) => (
          // The first and last labels of a line chart sit on the plot's edges: anchored inwards, never cut.
          <text x={props.x(i)} y={H - M.bottom + 16} text-anchor={anchor(props.x(i))}>
            {props.labels[i]}
          </text>
        )}
      </For>
    </g>
  );
}

/** Stacked areas over time (one band per series, the first at the bottom). */
export function StackedArea(props: {
  title: string;
  desc: string;
  labels: readonly string[];
  points: ReadonlyArray<Readonly<Record<string, number>>>;
  series: readonly Series[];
}) {
  const bands = () =>
    stack(
      props.points,
      props.series.map((s) => s.key),
    );
  const max = () => Math.max(0, ...(bands().at(-1)?.upper ?? [0]));
  const ticks = () => niceTicks(0, max(), 4, true);
  const y = () => linearScale([0, ticks().at(-1) ?? 1], [M.top + PLOT_H, M.top]);
  const n = () => props.points.length;
  const x = (i: number) => linearScale([0, Math.max(1, n() - 1)], [M.left, M.left + PLOT_W])(i);
  const xs = () => (n() === 1 ? [M.left, M.left + PLOT_W] : Array.from({ length: n() }, (_, i) => x(i)));
  const widen = (v: readonly number[]) => (n() === 1 ? [v[0] ?? 0, v[0] ?? 0] : v);
  return (
    <Svg title={props.title} desc={props.desc}>
      <YAxis ticks={ticks()} y={y()} />
      <For each={bands()}>
        {(b, i) => (
          <path
            d={bandPath(xs(), widen(b.lower).map(y()), widen(b.upper).map(y()))}
            fill={props.series[i()]?.color}
            class="dash-band"
            data-series={b.key}
          >
            <title>{props.series[i()]?.label}</title>
          </path>
        )}
      </For>
      <XLabels labels={props.labels} x={x} max={6} />
    </Svg>
  );
}

/** Bars grouped per category (e.g. per person), one bar per series. */
export function GroupedBars(props: {
  title: string;
  desc: string;
  groups: readonly string[];
  values: ReadonlyArray<Readonly<Record<string, number>>>;
  series: readonly Series[];
}) {
  const max = () => Math.max(0, ...props.values.flatMap((v) => props.series.map((s) => v[s.key] ?? 0)));
  const ticks = () => niceTicks(0, max(), 4, true);
  const y = () => linearScale([0, ticks().at(-1) ?? 1], [M.top + PLOT_H, M.top]);
  const slots = () => barSlots(props.groups.length, PLOT_W, 0.25);
  return (
    <Svg title={props.title} desc={props.desc}>
      <YAxis ticks={ticks()} y={y()} />
      <For each={props.groups}>
        {(g, gi) => {
          const slot = () => slots()[gi()] ?? { x: 0, w: 0 };
          const inner = () => barSlots(props.series.length, slot().w, 0.1);
          return (
            <g data-group={g}>
              <For each={props.series}>
                {(s, si) => {
                  const v = () => props.values[gi()]?.[s.key] ?? 0;
                  const b = () => inner()[si()] ?? { x: 0, w: 0 };
                  return (
                    <rect
                      x={M.left + slot().x + b().x}
                      width={b().w}
                      y={y()(v())}
                      height={Math.max(0, M.top + PLOT_H - y()(v()))}
                      fill={s.color}
                      class="dash-bar"
                    >
                      <title>{`${g}: ${v()} ${s.label.toLowerCase()}`}</title>
                    </rect>
                  );
                }}
              </For>
              <text
                class="dash-axis-label"
                x={M.left + slot().x + slot().w / 2}
                y={H - M.bottom + 16}
                text-anchor="middle"
              >
                {g.length > 14 ? `${g.slice(0, 13)}…` : g}
              </text>
            </g>
          );
        }}
      </For>
    </Svg>
  );
}

const MAX_BIN_W = 72;

/** A histogram: contiguous bins with counts. */
export function Histogram(props: {
  title: string;
  desc: string;
  bins: ReadonlyArray<{ readonly start: number; readonly end: number; readonly count: number }>;
  format: (v: number) => string;
  color: string;
}) {
  const max = () => Math.max(0, ...props.bins.map((b) => b.count));
  const ticks = () => niceTicks(0, max(), 4, true);
  const y = () => linearScale([0, ticks().at(-1) ?? 1], [M.top + PLOT_H, M.top]);
  // A few bins are not stretched across the plot: at most MAX_BIN_W each, centred.
  const used = () => Math.min(PLOT_W, props.bins.length * MAX_BIN_W);
  const slots = () => barSlots(props.bins.length, used(), 0.06).map((s) => ({ ...s, x: s.x + (PLOT_W - used()) / 2 }));
  const labels = () => props.bins.map((b) => props.format(b.start));
  return (
    <Svg title={props.title} desc={props.desc}>
      <YAxis ticks={ticks()} y={y()} />
      <For each={props.bins}>
        {(b, i) => (
          <rect
            x={M.left + (slots()[i()]?.x ?? 0)}
            width={slots()[i()]?.w ?? 0}
            y={y()(b.count)}
            height={Math.max(0, M.top + PLOT_H - y()(b.count))}
            fill={props.color}
            class="dash-bar"
          >
            <title>{`${props.format(b.start)} – ${props.format(b.end)}: ${b.count}`}</title>
          </rect>
        )}
      </For>
      <XLabels labels={labels()} x={(i) => M.left + (slots()[i]?.x ?? 0) + (slots()[i]?.w ?? 0) / 2} max={6} />
    </Svg>
  );
}

const ROW_H = 22;

/** Horizontal bars, one per category, the label on the left and the count at the bar's end. */
export function HBars(props: {
  title: string;
  desc: string;
  items: ReadonlyArray<{ readonly label: string; readonly count: number }>;
  color: string;
}) {
  const height = () => Math.max(60, props.items.length * ROW_H + 16);
  const max = () => Math.max(1, ...props.items.map((i) => i.count));
  const left = 140;
  const x = () => linearScale([0, max()], [0, W - left - 60]);
  return (
    <Svg title={props.title} desc={props.desc} height={height()}>
      <For each={props.items}>
        {(item, i) => (
          <g class="dash-axis">
            <text x={left - 8} y={8 + i() * ROW_H + 14} text-anchor="end">
              {item.label.length > 20 ? `${item.label.slice(0, 19)}…` : item.label}
            </text>
            <rect
              x={left}
              y={8 + i() * ROW_H + 3}
              width={Math.max(1, x()(item.count))}
              height={ROW_H - 6}
              fill={props.color}
              class="dash-bar"
            >
              <title>{`${item.label}: ${item.count}`}</title>
            </rect>
            <text x={left + Math.max(1, x()(item.count)) + 6} y={8 + i() * ROW_H + 14}>
              {item.count.toLocaleString()}
            </text>
          </g>
        )}
      </For>
    </Svg>
  );
}

/** The numbers behind a chart. */
export function DataTable(props: { caption: string; head: readonly string[]; rows: ReadonlyArray<readonly string[]> }) {
  return (
    <table class="dash-table">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <For each={props.head}>{(h) => <th scope="col">{h}</th>}</For>
        </tr>
      </thead>
      <tbody>
        <For each={props.rows}>
          {(r) => (
            <tr>
              <For each={r}>{(c, i) => (i() === 0 ? <th scope="row">{c}</th> : <td>{c}</td>)}</For>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
}
