// The report's only style sheet, inline (the CSP allows inline styles and nothing else). Readable on a phone (one
// column, tables scroll sideways, long names wrap anywhere), on a desktop, and printed (no background colours
// needed: every status is also a word; sections do not break across pages where avoidable).
import { Html } from './escape.js';

const CSS = `
:root { --pass: #1a7f37; --fail: #c62828; --warn: #9a6700; --skip: #6e7781; --line: #d0d7de; --soft: #f6f8fa; --ink: #1f2328;
  --dns: #5b8def; --connect: #8e6cd8; --tls: #d4700a; --wait: #c9a400; --read: #2da44e; --other: #9aa4ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.25rem; margin: 1.75rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
h4 { font-size: .95rem; margin: .9rem 0 .35rem; }
h5 { font-size: .85rem; margin: .5rem 0 .25rem; text-transform: uppercase; letter-spacing: .03em; color: #57606a; }
small, .meta, .resolver, .purpose, .legend, .detail, .reason, .path, .cli { color: #57606a; font-size: .85rem; }
p { margin: .3rem 0; }
code, .fp, .target, .value, .name, .rr, .ttl, .method { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85em; }
h1, h2, h3, h4, p, li, td, th, dd, blockquote, .name, .target { overflow-wrap: anywhere; }
a { color: #0550ae; }
.badge { display: inline-block; min-width: 2.8em; text-align: center; border-radius: 1em; padding: 0 .45em; font-size: .75rem; font-weight: 600;
  text-transform: uppercase; border: 1px solid currentColor; }
.badge.pass { color: var(--pass); } .badge.fail { color: var(--fail); } .badge.warn { color: var(--warn); } .badge.skip { color: var(--skip); }
.kind { font-weight: 600; }
.verdict { border: 2px solid var(--line); border-left-width: .6rem; border-radius: .4rem; padding: .75rem 1rem; margin: 1rem 0; }
.verdict.fail { border-color: var(--fail); } .verdict.warn { border-color: var(--warn); } .verdict.pass { border-color: var(--pass); }
.headline { font-size: 1.3rem; font-weight: 700; }
.counts { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; padding: 0; margin: .5rem 0 0; }
.counts .n { font-size: 1.4rem; font-weight: 700; }
.counts .pass .n { color: var(--pass); } .counts .fail .n { color: var(--fail); } .counts .warn .n { color: var(--warn); } .counts .skip .n { color: var(--skip); }
.counts .zero .n { color: var(--skip); font-weight: 400; }
.finding, .endpoint, .explanation { border: 1px solid var(--line); border-left-width: .35rem; border-radius: .35rem; padding: .6rem .8rem; margin: .6rem 0; break-inside: avoid; }
.finding.fail, .endpoint.fail { border-left-color: var(--fail); } .finding.warn, .endpoint.warn { border-left-color: var(--warn); }
.endpoint.pass { border-left-color: var(--pass); } .endpoint.skip { border-left-color: var(--skip); }
.endpoint { break-inside: auto; }
.fix { background: var(--soft); padding: .35rem .5rem; border-radius: .25rem; }
.consequences { border-top: 1px dashed var(--line); margin-top: .4rem; padding-top: .3rem; font-size: .9rem; }
ul, ol { padding-left: 1.25rem; margin: .3rem 0; }
.results li, .fetches > li, .notes li { margin: .3rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .4rem; text-align: left; vertical-align: top; }
.overview td { text-align: right; width: 5.5em; }
.chain { list-style: none; padding-left: 0; }
.chain > .hop { position: relative; margin: 0 0 .1rem; padding: .25rem 0 .25rem 1.1rem; border-left: 2px solid var(--dns); }
.chain > .hop::before { content: ""; position: absolute; left: -.4rem; top: .6rem; width: .6rem; height: .6rem; border-radius: 50%; background: var(--dns); }
.chain > .hop.broken { border-left-color: var(--fail); color: var(--fail); }
.chain > .hop.broken::before { background: var(--fail); }
.leads { color: #57606a; font-size: .85rem; }
.leads::before { content: "\\2193  "; }
.suffix { display: inline-block; margin-left: .4rem; padding: 0 .35rem; border-radius: .25rem; background: var(--soft); border: 1px solid var(--line); font-size: .75rem; }
.answers { list-style: none; padding-left: .5rem; }
.answers .sinkhole { color: var(--fail); font-weight: 600; }
.ttl { color: #57606a; margin-left: .4rem; }
.ede q, .page-title { font-weight: 600; }
.columns { display: grid; grid-template-columns: 3fr 2fr; gap: 1rem; }
.certs { padding-left: 1.25rem; }
.cert { margin-bottom: .5rem; }
.cert .subject { font-weight: 600; }
.cert .issuer.observed { color: var(--fail); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 .6rem; margin: .2rem 0; font-size: .8rem; color: #57606a; }
dt { font-weight: 600; } dd { margin: 0; }
.expected li { color: var(--pass); }
.vendor { font-size: .8rem; color: var(--fail); }
.hops { font-size: .85rem; }
.header, .via { color: #57606a; margin-left: .4rem; font-size: .8rem; }
.page { border-left: 3px solid var(--warn); padding-left: .6rem; margin: .3rem 0; }
.excerpt { margin: .2rem 0; padding: .3rem .5rem; background: var(--soft); font-size: .85rem; white-space: normal; }
.bars { list-style: none; padding: 0; }
.bars li { display: grid; grid-template-columns: minmax(8rem, 22rem) 1fr; gap: .5rem; align-items: center; font-size: .8rem; margin: .1rem 0; }
.bars .label { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.bars li.fail .label { color: var(--fail); } .bars li.warn .label { color: var(--warn); }
.track { display: flex; align-items: center; min-width: 0; }
.bar { display: flex; height: .8rem; min-width: 2px; border: 1px solid #57606a; }
.seg { display: inline-block; height: 100%; min-width: 1px; }
.legend .seg { width: .9rem; height: .7rem; vertical-align: middle; border: 1px solid #57606a; }
.seg.dns { background: var(--dns); } .seg.connect { background: var(--connect); } .seg.tls { background: var(--tls); }
.seg.wait { background: var(--wait); } .seg.read { background: var(--read); } .seg.other { background: var(--other); }
.ms { margin-left: .4rem; white-space: nowrap; color: #57606a; }
.requirement { border-left: 3px solid var(--line); padding-left: .5rem; }
.change .side { white-space: nowrap; } .arrow { color: #57606a; margin: 0 .2rem; } .absent { color: #57606a; font-style: italic; }
.accepted, .since { color: var(--warn); } .counts-line { font-weight: 600; } .diff-notes li { color: var(--warn); }
.compared th { font-weight: 400; } .runners thead th { overflow-wrap: normal; }
.matrix-box { position: relative; overflow: auto; max-width: 100%; max-height: 80vh; border: 1px solid var(--line); border-radius: .3rem; }
.matrix { width: auto; border-collapse: separate; border-spacing: 0; }
.matrix th, .matrix td { white-space: nowrap; border-right: 1px solid var(--line); }
.matrix thead th { position: sticky; top: 0; background: #fff; z-index: 1; vertical-align: bottom; }
.matrix .runner { min-width: 5rem; max-width: 10rem; white-space: normal; overflow-wrap: break-word; font-size: .8rem; }
.matrix tbody th { position: sticky; left: 0; background: #fff; z-index: 1; max-width: 16rem; white-space: normal; overflow-wrap: anywhere;
  font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; font-weight: 400; }
.matrix .corner { left: 0; z-index: 2; }
.matrix .cell { text-align: center; } .matrix .cell a { text-decoration: none; } .matrix .cell .n { margin-left: .25rem; font-size: .75rem; color: #57606a; }
.cell.fail { background: #fdecea; } .cell.warn { background: #fff4d6; } .cell.none { color: #8c959f; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.runner-block { border-left: .35rem solid var(--line); padding-left: .6rem; margin: .8rem 0; } .runner-block.fail { border-left-color: var(--fail); }
.runner-block.pass { border-left-color: var(--pass); }
.rounds, .events { list-style: none; padding-left: 0; }
.round { border-left: 2px solid var(--line); padding: .2rem 0 .2rem .8rem; margin: 0; }
.round.quiet { color: #57606a; font-size: .9rem; }
.when { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; margin-right: .3rem; }
.event { border-left: .3rem solid var(--line); padding: .25rem .6rem; margin: .35rem 0; background: var(--soft); }
.event.regression, .event.new { border-left-color: var(--fail); } .event.fixed { border-left-color: var(--pass); }
.event.changed, .event.flapping { border-left-color: var(--warn); }
.event-kind { text-transform: uppercase; font-size: .75rem; font-weight: 700; letter-spacing: .03em; }
.event-kind.regression, .event-kind.new { color: var(--fail); } .event-kind.fixed { color: var(--pass); }
.event-kind.changed, .event-kind.flapping { color: var(--warn); }
footer { margin: 2rem auto; color: #57606a; font-size: .8rem; }
@media (max-width: 40rem) {
  body { font-size: 14px; }
  .columns { grid-template-columns: 1fr; }
  .bars li { grid-template-columns: 1fr; gap: 0; margin-bottom: .3rem; }
  .addresses th, .addresses td { padding: .25rem; }
}
@media print {
  body { font-size: 10.5pt; }
  header, main, footer { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; }
  .scroll, .matrix-box { overflow: visible; max-height: none; }
  .matrix th { position: static; }
  .cell.fail, .cell.warn { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .finding, .explanation, .chain-compare, tr { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  .seg, .chain > .hop::before, .badge { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`;

/** Our own constant: passed to the page as markup, never escaped (it holds quotes and a `\2193`). */
export const REPORT_CSS = new Html(CSS);
