import { html, href } from './html.js';
import type { Html } from './html.js';
import type { View } from './context.js';
import type { Viewer } from './session.js';

/** A form that changes something: POST, with the session's anti-CSRF token. */
export function actionForm(viewer: Viewer, action: string, label: string, fields: Record<string, string> = {}, danger = false): Html {
  return html`<form method="post" action="${action}" class="inline"><input type="hidden" name="csrf" value="${viewer.csrf}">${Object.entries(
    fields,
  ).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<button type="submit"${danger ? html` class="danger"` : ''}>${label}</button></form>`;
}

/** The whole page. The live region carries the URL of its event stream; the client script follows it. */
export function page(view: View, viewer: Viewer | undefined, path: string, open: boolean): string {
  const nav = html`<nav><a href="/" class="brand">Baton</a><a href="/">Queues</a><a href="/workers">Workers</a><a href="/schedules">Schedules</a>${
    viewer === undefined
      ? ''
      : viewer.name !== undefined
        ? html`<span class="who">${viewer.name}</span>${actionForm(viewer, '/logout', 'Log out')}`
        : open
          ? html`<span class="who warn" title="no --auth-tokens-file: anyone who reaches this port may do anything">open access</span>`
          : ''
  }</nav>`;
  const live = view.live === undefined ? '' : href('/live', { path });
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${view.title} · Baton</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/style.css"><script src="/assets/app.js" defer></script></head>
<body>${nav}<header><h1>${view.title}</h1>${view.head}</header>
<main id="live"${live === '' ? '' : html` data-live="${live}"`}>${view.body}</main>
<footer><span id="live-status" aria-live="polite"></span></footer></body></html>`.text;
}
