/**
 * The dashboard's only script: it keeps the page's live region current. The server renders every page, and
 * re-renders a page's live region when its queues change, pushing it over server-sent events; this script
 * listens and swaps the region in. The browser never polls. Without it, every page still works, just not live.
 */
const region = document.getElementById('live');
const status = document.getElementById('live-status');
const streamUrl = region?.dataset.live;

function say(text: string, state: string): void {
  if (status) status.textContent = text;
  document.body.dataset.live = state;
}

let source: EventSource | undefined;

function connect(into: HTMLElement, url: string): void {
  const stream = new EventSource(url);
  source = stream;
  stream.addEventListener('open', () => {
    say('live', 'open');
  });
  stream.addEventListener('error', () => {
    // EventSource reconnects on its own; the server pushes the current state again when it does.
    say('reconnecting…', 'reconnecting');
  });
  stream.addEventListener('main', (event: MessageEvent<string>) => {
    // The markup was rendered and escaped on the server, exactly as the page itself was.
    into.innerHTML = event.data;
    into.dataset.updated = String(Date.now());
  });
  stream.addEventListener('gone', (event: MessageEvent<string>) => {
    say(`no longer live: ${event.data}`, 'gone');
    stream.close();
  });
}

if (region && streamUrl) {
  connect(region, streamUrl);
  // Browsers allow six HTTP/1.1 connections per host: a hidden tab gives its stream back, and takes a new one
  // (which starts with the current state) when shown again, so many open tabs do not starve each other.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      source?.close();
      source = undefined;
      say('paused while hidden', 'hidden');
    } else if (source === undefined) {
      connect(region, streamUrl);
    }
  });
}

// A module, so the bundle is a plain IIFE rather than a CommonJS wrapper.
export {};
