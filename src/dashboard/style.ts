/** The dashboard's one stylesheet, served as /assets/style.css (a file of its own: the CSP allows no inline style). */
export const STYLE = `
:root{--fg:#1d232a;--muted:#5f6b7a;--line:#dde2e8;--bg:#fff;--accent:#2456c7;--ok:#2f8f5b;--bad:#c23b3b;--warn:#b7791f}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
nav{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line);background:#f6f8fa}
nav a{color:var(--fg);text-decoration:none}nav .brand{font-weight:700}nav .who{margin-left:auto;color:var(--muted)}
.warn{color:var(--warn)}
header,main,footer{padding:0 1rem}header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem}
h1{font-size:1.3rem;margin:.8rem 0}h2{font-size:1.05rem;margin:1rem 0 .4rem}h2 small{font-weight:400;color:var(--muted)}
a{color:var(--accent)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}.num{text-align:right;font-variant-numeric:tabular-nums}
td.meta,.meta{color:var(--muted)}
.fields th{width:10rem}
.badge{font-size:.75rem;padding:.05rem .4rem;border-radius:.6rem;background:#eee}.badge.paused{background:#fdecc8;color:#7a4d00}
.state{font-size:.8rem;padding:.05rem .4rem;border-radius:.3rem;background:#eef1f4}
.state.succeeded,.state.alive{background:#dcf3e5;color:#1c6b40}.state.failed,.state.exhausted,.state.expired,.state.lost{background:#fbe0e0;color:#8f2323}
.state.active{background:#dfe9fb;color:#1d4aa8}.state.cancelled{background:#eee;color:#555}
.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:.8rem 0}.tabs a{padding:.25rem .6rem;border:1px solid var(--line);border-radius:.3rem;text-decoration:none;color:var(--fg)}
.tabs a.current{background:var(--fg);color:#fff}.count{color:inherit;opacity:.7}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin:.6rem 0}form.inline{display:inline}
button,.button{font:inherit;padding:.3rem .8rem;border:1px solid var(--line);border-radius:.3rem;background:#fff;color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block}
button.danger,.button.danger{border-color:var(--bad);color:var(--bad)}
.search{display:flex;gap:.4rem}input{font:inherit;padding:.25rem .4rem;border:1px solid var(--line);border-radius:.3rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all}
pre.details{max-height:8rem;margin:0;padding:.3rem}
.chart{margin:.6rem 0}.chart svg{background:#fafbfc;border:1px solid var(--line)}.chart rect.ok{fill:#6b9be8}.chart rect.bad{fill:var(--bad)}
figcaption{color:var(--muted);font-size:.85rem}span.bad{color:var(--bad)}
.timeline{padding-left:1.2rem}
.logs{list-style:none;margin:0;padding:.4rem .6rem;background:#f6f8fa;max-height:28rem;overflow:auto;font:12px/1.4 ui-monospace,monospace}
.logs li{white-space:pre-wrap;word-break:break-all}.logs time,.logs .attempt{color:var(--muted)}.held{margin:0;padding-left:1rem}
.notice,.confirm{padding:.6rem .8rem;border-left:4px solid var(--warn);background:#fffaf0}
.error{padding:.6rem .8rem;border-left:4px solid var(--bad);background:#fff5f5}
.empty{color:var(--muted)}.metadata{margin:0}.metadata dt{font-weight:600}.metadata dd{margin:0 0 .2rem 1rem}
footer{color:var(--muted);font-size:.8rem;padding:1rem}
.login{max-width:28rem}.login input{width:100%;margin:.4rem 0}
`;
