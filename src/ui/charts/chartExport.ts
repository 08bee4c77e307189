import { saveBlob } from '../../store/browserEnv';
import { escapeXml, exportFileName, standaloneSvg } from './svgDocument';

/**
 * Saving a chart as SVG or PNG, all in the page: the chart's <svg> is
 * cloned with its computed styles written inline (the file must look the
 * same without the page's stylesheet), PNG by drawing that SVG into a
 * canvas from a blob: URL. Nothing goes over the network.
 */

/** The CSS properties that decide how an SVG chart looks; the ones copied inline into the export. */
const STYLED = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity',
  'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline', 'paint-order', 'visibility', 'display',
] as const;

/** How many canvas pixels a PNG export draws per CSS pixel: sharp on slides and print. */
const PNG_SCALE = 2;

/** Height of the title band above an exported chart, in CSS pixels. */
const TITLE_BAND = 24;

/** Height of one row of legend entries under an exported chart, in CSS pixels. */
const LEGEND_ROW = 20;

/** Copies the computed look of `from` and its descendants onto `to`, a clone of it, as inline styles. */
function inlineStyles(from: Element, to: Element): void {
  const source = [from, ...from.querySelectorAll('*')];
  const target = [to, ...to.querySelectorAll('*')];
  source.forEach((el, i) => {
    const computed = getComputedStyle(el);
    const style = (target[i] as SVGElement).style;
    for (const prop of STYLED) style.setProperty(prop, computed.getPropertyValue(prop));
  });
}

/**
 * The legend entries around the chart (recharts' HTML legend and the
 * frame's own keys, `.chart-key-item`), each an icon <svg> and a text,
 * redrawn as SVG rows under the chart: the HTML legend is not part of the
 * chart's <svg>. Returns the rows' markup and their total height.
 */
function legendMarkup(container: Element, width: number, top: number): { markup: string; height: number } {
  const items = [...container.querySelectorAll('.recharts-legend-item, .chart-key-item')];
  let x = 8;
  let row = 0;
  const parts = items.map((item) => {
    const icon = item.querySelector('svg');
    const text = item.textContent?.trim() ?? '';
    const itemWidth = 22 + 7 * text.length + 14;
    if (x + itemWidth > width && x > 8) { x = 8; row++; }
    const y = top + row * LEGEND_ROW;
    let iconMarkup = '';
    if (icon) {
      const clone = icon.cloneNode(true) as SVGSVGElement;
      inlineStyles(icon, clone);
      clone.setAttribute('x', String(x));
      clone.setAttribute('y', String(y + 3));
      clone.setAttribute('width', '14');
      clone.setAttribute('height', '14');
      iconMarkup = new XMLSerializer().serializeToString(clone);
    }
    const label = `<text x="${x + 20}" y="${y + 14}" font-family="sans-serif" font-size="12" fill="#111827">${escapeXml(text)}</text>`;
    x += itemWidth;
    return iconMarkup + label;
  });
  return { markup: parts.join(''), height: items.length > 0 ? (row + 1) * LEGEND_ROW + 4 : 0 };
}

/**
 * The chart's own size in its coordinates (its viewBox, as recharts draws
 * it), not its size on screen: the page's CSS may scale the chart down to a
 * narrow window, and the export must hold the whole drawing.
 */
function chartSize(svg: SVGSVGElement): { width: number; height: number } {
  const box = svg.viewBox.baseVal;
  if (box && box.width > 0 && box.height > 0) return { width: Math.round(box.width), height: Math.round(box.height) };
  const rect = svg.getBoundingClientRect();
  return { width: Math.round(rect.width), height: Math.round(rect.height) };
}

/**
 * The standalone SVG document of the chart drawn in `svg` (a recharts
 * surface), with `title` written above it and the legend entries found in
 * `container` drawn underneath. Reads layout and computed styles; changes nothing on
 * the page.
 */
export function chartSvgDocument(svg: SVGSVGElement, title: string, container: Element = svg): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, clone);
  const { width, height } = chartSize(svg);
  const legend = legendMarkup(container, width, TITLE_BAND + height);
  // The title goes in a band above the chart, the legend rows below it: the document grows by both.
  const serialized = new XMLSerializer().serializeToString(clone);
  const open = serialized.indexOf('>') + 1;
  const heading = `<text x="8" y="17" font-family="sans-serif" font-size="14" font-weight="600" fill="#111827">${escapeXml(title)}</text>`;
  const body = serialized.slice(open, serialized.lastIndexOf('</svg>'));
  const markup = `${serialized.slice(0, open)}${heading}<g transform="translate(0 ${TITLE_BAND})">${body}</g>${legend.markup}</svg>`;
  return standaloneSvg(markup, { title, width, height: TITLE_BAND + height + legend.height });
}

/** Downloads the chart in `svg` as an SVG file named after `title` (with the legend entries in `container`). */
export function downloadSvg(svg: SVGSVGElement, title: string, container?: Element): void {
  saveBlob(new Blob([chartSvgDocument(svg, title, container)], { type: 'image/svg+xml' }), exportFileName(title, 'svg'));
}

/**
 * Downloads the chart in `svg` as a PNG file named after `title`, at twice
 * its on-screen size on a white background. Rejects with a message when the
 * browser cannot draw the SVG or encode the canvas.
 */
export async function downloadPng(svg: SVGSVGElement, title: string, container?: Element): Promise<void> {
  const doc = chartSvgDocument(svg, title, container);
  const size = /width="(\d+)" height="(\d+)" viewBox/.exec(doc)!;
  const box = { width: Number(size[1]), height: Number(size[2]) };
  const url = URL.createObjectURL(new Blob([doc], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode().catch(() => { throw new Error('The browser could not draw the chart as an image; try the SVG export instead.'); });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(box.width * PNG_SCALE);
    canvas.height = Math.round(box.height * PNG_SCALE);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser gives no 2D canvas for the PNG export; try the SVG export instead.');
    ctx.scale(PNG_SCALE, PNG_SCALE);
    ctx.drawImage(image, 0, 0, box.width, box.height);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!png) throw new Error('The browser could not encode the chart as PNG; try the SVG export instead.');
    saveBlob(png, exportFileName(title, 'png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
