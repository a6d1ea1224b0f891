import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';

// Server-rendered SVG charts from Observable Plot, with linkedom as the DOM: no JavaScript in
// the browser, printable, and every chart sits beside a table of its figures. The page's CSP
// allows no inline styles, so Plot's <style> element and style attributes are taken out and the
// chart gets one fixed class, styled from /static/charts.css.

export interface Chart {
  /** The SVG, with role="img" and the text alternative as its aria-label. */
  svg: string;
  /** What the chart shows, for the figure caption. */
  caption: string;
}

const NHS_BLUE = '#005eb8';
const NHS_DARK_GREY = '#425563';
const NHS_WARM_YELLOW = '#ffb81c';

function render(options: Plot.PlotOptions, caption: string, description: string): Chart {
  const { document } = parseHTML('<!doctype html><html><body></body></html>');
  const node = Plot.plot({ ...options, document: document as unknown as Document, style: undefined }) as unknown as Element;
  const svg = node.tagName.toLowerCase() === 'svg' ? node : node.querySelector('svg')!;
  for (const style of [...svg.querySelectorAll('style')]) style.remove();
  for (const styled of [...svg.querySelectorAll('[style]')]) styled.removeAttribute('style');
  // The chart is one image with one text alternative: Plot's labels on its inner groups would
  // be ARIA on presentational children, which assistive technology ignores and axe refuses.
  for (const labelled of [...svg.querySelectorAll('[aria-label], [aria-description], [aria-hidden]')]) {
    for (const name of ['aria-label', 'aria-description', 'aria-hidden']) labelled.removeAttribute(name);
  }
  svg.removeAttribute('style');
  svg.setAttribute('class', 'signpost-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', description);
  svg.setAttribute('font-family', 'Arial, sans-serif');
  return { svg: svg.outerHTML, caption };
}

export interface Bar {
  label: string;
  value: number;
}

/** A chart with one column per label along the bottom (months), the labels slanted so a year of them fits. */
const columns = (labels: string[]) => ({
  width: 640,
  marginBottom: 60,
  marginLeft: 50,
  x: { label: null, domain: labels, tickRotate: -35 },
});

/** Vertical bars, e.g. referrals per month. Hidden (suppressed) values are left out by the caller. */
export function barChart(bars: readonly Bar[], options: { caption: string; description: string; yLabel: string }): Chart {
  return render(
    {
      ...columns(bars.map((b) => b.label)),
      height: 260,
      y: { label: options.yLabel, grid: true },
      marks: [Plot.barY(bars, { x: 'label', y: 'value', fill: NHS_BLUE }), Plot.ruleY([0])],
    },
    options.caption,
    options.description,
  );
}

/** Horizontal bars, e.g. referrals by source. */
export function horizontalBarChart(bars: readonly Bar[], options: { caption: string; description: string; xLabel: string }): Chart {
  return render(
    {
      width: 640,
      height: 40 + bars.length * 28,
      marginLeft: 260,
      y: { label: null, domain: bars.map((b) => b.label) },
      x: { label: options.xLabel, grid: true },
      marks: [Plot.barX(bars, { y: 'label', x: 'value', fill: NHS_BLUE }), Plot.ruleX([0])],
    },
    options.caption,
    options.description,
  );
}

export interface Spread {
  label: string;
  p25: number;
  median: number;
  p75: number;
  p90: number;
}

/** Distribution by month: the middle half as a bar, the median as a dot, the 90th percentile as a tick. */
export function spreadChart(rows: readonly Spread[], options: { caption: string; description: string; yLabel: string }): Chart {
  return render(
    {
      ...columns(rows.map((r) => r.label)),
      height: 280,
      y: { label: options.yLabel, grid: true, zero: true },
      marks: [
        Plot.ruleX(rows, { x: 'label', y1: 'p25', y2: 'p75', stroke: NHS_BLUE, strokeWidth: 10 }),
        Plot.dot(rows, { x: 'label', y: 'median', fill: 'white', stroke: NHS_DARK_GREY, r: 4 }),
        Plot.tickY(rows, { x: 'label', y: 'p90', stroke: NHS_WARM_YELLOW, strokeWidth: 3 }),
      ],
    },
    options.caption,
    options.description,
  );
}

export interface ForestRow {
  label: string;
  /** Which estimate: e.g. "Adjusted" or "Before and after". */
  series: string;
  estimate: number;
  lower: number;
  upper: number;
}

/** Estimates with their 95% intervals, one line per row, several series offset within a line. */
export function forestPlot(
  rows: readonly ForestRow[],
  options: { caption: string; description: string; xLabel: string; series: readonly string[] },
): Chart {
  const labels = [...new Set(rows.map((r) => r.label))];
  const offset = (series: string) => (options.series.indexOf(series) - (options.series.length - 1) / 2) * 8;
  const marks: Plot.Markish[] = [Plot.ruleX([0], { stroke: NHS_DARK_GREY, strokeDasharray: '4,3' })];
  options.series.forEach((series, i) => {
    const data = rows.filter((r) => r.series === series);
    const colour = i === 0 ? NHS_BLUE : NHS_DARK_GREY;
    marks.push(Plot.ruleY(data, { y: 'label', x1: 'lower', x2: 'upper', dy: offset(series), stroke: colour, strokeWidth: 2 }));
    marks.push(
      Plot.dot(data, {
        y: 'label',
        x: 'estimate',
        dy: offset(series),
        r: 4,
        fill: i === 0 ? colour : 'white',
        stroke: colour,
        symbol: i === 0 ? 'circle' : 'diamond',
      }),
    );
  });
  return render(
    {
      width: 640,
      height: 50 + labels.length * 34,
      marginLeft: 260,
      marginRight: 20,
      y: { label: null, domain: labels },
      x: { label: options.xLabel, grid: true },
      marks,
    },
    options.caption,
    options.description,
  );
}

export interface Cell {
  row: string;
  column: string;
  /** 0 to 1, the share shown as shading and text; null when hidden. */
  share: number | null;
}

/** A grid of shares (e.g. the approach mix of each practice), each cell labelled with its percentage. */
export function shareGrid(
  cells: readonly Cell[],
  options: { caption: string; description: string; rows: readonly string[]; columns: readonly string[] },
): Chart {
  const shown = cells.filter((c) => c.share !== null);
  return render(
    {
      width: 640,
      height: 60 + options.rows.length * 30,
      marginLeft: 260,
      marginTop: 60,
      x: { label: null, domain: options.columns, axis: 'top', tickRotate: -20 },
      y: { label: null, domain: options.rows },
      color: { type: 'linear', domain: [0, 1], range: ['#e8edee', NHS_BLUE] },
      marks: [
        Plot.cell(shown, { x: 'column', y: 'row', fill: 'share', inset: 1 }),
        Plot.text(shown, {
          x: 'column',
          y: 'row',
          text: (c: Cell) => `${Math.round(c.share! * 100)}%`,
          fill: (c: Cell) => (c.share! > 0.5 ? 'white' : 'black'),
        }),
      ],
    },
    options.caption,
    options.description,
  );
}

export interface ScorePoint {
  measure: string;
  at: Date;
  score: number;
  timepoint: string;
}

/**
 * One person's scores on one measure over time. The shaded band runs from the baseline to the
 * meaningful change (SWEMWBS), or the ONS bands are drawn behind (ONS4), so a reader sees
 * whether a change crosses it.
 */
export function scoreTimeline(
  points: readonly ScorePoint[],
  options: {
    caption: string;
    description: string;
    yLabel: string;
    domain: [number, number];
    band?: { from: number; to: number; label: string };
    zones?: { from: number; to: number; label: string }[];
  },
): Chart {
  const marks: Plot.Markish[] = [];
  for (const zone of options.zones ?? []) {
    marks.push(Plot.rectY([zone], { y1: 'from', y2: 'to', fill: '#e8edee', fillOpacity: 0.6, stroke: 'white' }));
    marks.push(
      Plot.text([zone], {
        y: (z: { from: number; to: number }) => (z.from + z.to) / 2,
        text: 'label',
        frameAnchor: 'right',
        dx: -4,
        fill: NHS_DARK_GREY,
      }),
    );
  }
  if (options.band) {
    marks.push(Plot.rectY([options.band], { y1: 'from', y2: 'to', fill: NHS_WARM_YELLOW, fillOpacity: 0.3 }));
    marks.push(Plot.text([options.band], { y: 'to', text: 'label', frameAnchor: 'left', dx: 4, dy: -6, fill: NHS_DARK_GREY }));
  }
  marks.push(Plot.line(points, { x: 'at', y: 'score', stroke: NHS_BLUE, strokeWidth: 2 }));
  marks.push(Plot.dot(points, { x: 'at', y: 'score', fill: NHS_BLUE, r: 4 }));
  marks.push(Plot.text(points, { x: 'at', y: 'score', text: (p: ScorePoint) => `${p.timepoint} ${p.score}`, dy: -10 }));
  return render(
    {
      width: 640,
      height: 240,
      marginLeft: 50,
      marginRight: 30,
      x: { label: null, type: 'utc', inset: 40 },
      y: { label: options.yLabel, domain: options.domain, grid: true },
      marks,
    },
    options.caption,
    options.description,
  );
}
