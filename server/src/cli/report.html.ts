import { createHash } from 'node:crypto';
import type { FlowMapModel } from '../service/flowMapTypes';

export interface WebviewAssets {
  readonly js: string;
  readonly css: string;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that cannot end its <script> element early, whatever a rule name or description holds. */
export function embeddableJson(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => (key === 'uri' ? undefined : v))
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The Flow Map as one HTML file: the bundled front-end and the model inline,
 * nothing fetched. The Content Security Policy allows exactly the inline
 * script and style by hash (the same bytes give the same file, so two reports
 * of one commit diff cleanly), and no network access at all. File uris are
 * left out: a CI artifact should not carry the runner's absolute paths.
 */
export function renderFlowMapHtml(model: FlowMapModel, assets: WebviewAssets, options: { generator?: string } = {}): string {
  const js = assets.js.replace(/<\/(script)/gi, '<\\/$1');
  const css = assets.css.replace(/<\/(style)/gi, '<\\/$1');
  const csp = [`default-src 'none'`, `script-src ${sha256(js)}`, `style-src ${sha256(css)}`, `img-src data:`, `base-uri 'none'`, `form-action 'none'`].join('; ');
  const blocked = model.counts.byVerdict.blocked;
  const title = `${model.title} — ${model.counts.edges} required flows${blocked ? `, ${blocked} blocked` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${options.generator ? `<meta name="generator" content="${escapeHtml(options.generator)}">\n` : ''}<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body class="standalone">
<div id="flow-map"><noscript>${escapeHtml(title)}. This report needs JavaScript to draw the map.</noscript></div>
<script type="application/json" id="flow-map-model">${embeddableJson(model)}</script>
<script>${js}</script>
</body>
</html>
`;
}
