import { useRef, useState, type ReactNode } from 'react';
import { downloadPng, downloadSvg } from './chartExport';
import { useLab } from '../useLab';

/** What a chart puts in its frame. */
export interface ChartFrameProps {
  /** Short name used in test ids (`${id}-export-svg`, `${id}-table`, ...). */
  id: string;
  /** The heading, also the exported file's title and name. */
  title: string;
  /** The section's accessible name. */
  label: string;
  /** The chart's own controls (sweep, axis toggles), shown after the export buttons. */
  controls?: ReactNode;
  /** The chart's data as a table; null while it has none. */
  table: ChartTable | null;
  children: ReactNode;
}

/**
 * The frame every chart sits in: a title, PNG and SVG export of the chart
 * as drawn (its legend included), and a Table toggle that shows the chart's
 * data as an accessible table; all three are disabled while the chart has no
 * data. Holds only its own toggles; the chart inside decides when it redraws.
 */
export function ChartFrame({ id, title, label, controls, table, children }: ChartFrameProps) {
  const [showTable, setShowTable] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const reportError = useLab((s) => s.reportError);
  const surface = (): SVGSVGElement | null => body.current?.querySelector<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface, .plot-wrapper > svg.plot-surface') ?? null;
  const exportAs = (kind: 'png' | 'svg') => {
    const svg = surface();
    if (!svg) return reportError(`The chart "${title}" has nothing drawn yet; export it once it shows.`);
    if (kind === 'svg') downloadSvg(svg, title, body.current!);
    else downloadPng(svg, title, body.current!).catch((err: Error) => reportError(err.message));
  };
  const tableId = `${id}-table-region`;
  return (
    <section className="chart" aria-label={label}>
      <header>
        <h2>{title}</h2>
        <span className="chart-tools">
          <button type="button" onClick={() => exportAs('png')} data-testid={`${id}-export-png`} aria-label={`Download ${title} as PNG`} disabled={!table}>PNG</button>
          <button type="button" onClick={() => exportAs('svg')} data-testid={`${id}-export-svg`} aria-label={`Download ${title} as SVG`} disabled={!table}>SVG</button>
          <button type="button" onClick={() => setShowTable((v) => !v)} aria-expanded={showTable} aria-controls={tableId}
            data-testid={`${id}-table-toggle`} disabled={!table}>Table</button>
          {controls}
        </span>
      </header>
      <div ref={body}>{children}</div>
      <div id={tableId}>{showTable && table && <DataTable table={table} testId={`${id}-table`} />}</div>
    </section>
  );
}

/** A chart's data as rows of cells: the first cell of a row names it (a row header), the others are its values, already formatted. */
export interface ChartTable {
  /** What the table shows, read first by screen readers (the <caption>). */
  caption: string;
  /** Column headings, units included, e.g. "rank k of fc1", "accuracy (%)". */
  columns: string[];
  rows: Array<Array<string | number>>;
}

/**
 * A chart's data as an accessible HTML table, the chart's alternative for
 * keyboard and screen-reader users: a caption, column headers with
 * scope="col", the first cell of each row a row header. The scroll box is
 * focusable, so the keyboard can scroll a long table.
 */
export function DataTable({ table, testId }: { table: ChartTable; testId: string }) {
  return (
    <div className="chart-table" role="region" aria-label={table.caption} tabIndex={0}>
      <table data-testid={testId}>
        <caption>{table.caption}</caption>
        <thead>
          <tr>{table.columns.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
        </thead>
        <tbody>
          {table.rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (j === 0 ? <th key={j} scope="row">{cell}</th> : <td key={j}>{cell}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A labelled checkbox for a chart's axis option (full 0-100% accuracy axis,
 * log rank axis): keyboard usable, and what it changes is in its label.
 */
export function AxisOption({ label, checked, onChange, testId }: { label: string; checked: boolean; onChange: (checked: boolean) => void; testId: string }) {
  return (
    <label className="axis-option">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} /> {label}
    </label>
  );
}
