/**
 * A chart's <svg> markup as a file of its own: the SVG export writes it as
 * is, the PNG export draws it into a canvas. Pure string work; the DOM side
 * (cloning the chart, inlining its computed styles) is in chartExport.ts.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** `text` with XML's five special characters escaped, for element text and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Options of {@link standaloneSvg}. */
export interface SvgDocumentOptions {
  /** The chart's title, written as the document's <title> (what viewers show). */
  title: string;
  /** Width and height in CSS pixels, written as width, height and viewBox. */
  width: number;
  height: number;
  /** Fill behind the chart (recharts draws none: the page's white shows through on screen). */
  background?: string;
}

/**
 * A standalone SVG document from a serialized <svg> element (`markup`, as
 * XMLSerializer writes it): an XML declaration, the SVG namespace when the
 * serializer left it out, the size, a <title> and a background rectangle
 * first inside the root. Throws TypeError when `markup` does not start with
 * an <svg> element.
 */
export function standaloneSvg(markup: string, options: SvgDocumentOptions): string {
  const open = /^\s*<svg\b([^>]*?)(\/?)>/.exec(markup);
  if (!open) throw new TypeError('A chart export needs the markup of an <svg> element; the chart has not drawn yet, try again once it shows.');
  // Size and namespace are written anew; the chart's own (CSS-relative) ones are dropped.
  const kept = open[1].replace(/\s(width|height|viewBox|xmlns)="[^"]*"/g, '');
  const { width, height } = options;
  const head = `<svg xmlns="${SVG_NS}"${kept} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`;
  const title = `<title>${escapeXml(options.title)}</title>`;
  const background = `<rect x="0" y="0" width="${width}" height="${height}" fill="${escapeXml(options.background ?? '#ffffff')}"/>`;
  const body = open[2] === '/' ? '</svg>' : markup.slice(open[0].length);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}${title}${background}${body}`;
}

/** A file name for a chart's export: lower-case words of `title` joined by dashes, then `.ext`, e.g. "Rank vs accuracy: fc1" -> "rank-vs-accuracy-fc1.svg". */
export function exportFileName(title: string, ext: 'svg' | 'png'): string {
  const stem = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'chart';
  return `${stem}.${ext}`;
}
