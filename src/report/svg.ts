/**
 * Standalone SVG charts: a Vega-Lite spec compiled to Vega and rendered headless with
 * `View.toSVG()` (no canvas, no browser). Vega and Vega-Lite load on first use, so the commands
 * that draw no chart never pay for them.
 */
import type { TopLevelSpec } from 'vega-lite'

const FONT = 'Helvetica, Arial, sans-serif'

/** Renders a Vega-Lite spec to an SVG document (with an XML declaration and a white background). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')])
  const themed = {
    background: 'white',
    config: { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } },
    ...spec,
  } as TopLevelSpec
  const compiled = vl.compile(themed).spec
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' })
  try {
    const svg = await view.toSVG()
    return `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`
  } finally {
    view.finalize()
  }
}
