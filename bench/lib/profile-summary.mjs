#!/usr/bin/env node
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time and by total
// (inclusive) time, with their source location.
//   node bench/lib/profile-summary.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const dt = new Map(); // node id -> sampled microseconds
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
}
const total = [...dt.values()].reduce((a, b) => a + b, 0);

const label = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
};

const self = new Map();
const incl = new Map();
for (const [id, us] of dt) {
  const n = byId.get(id);
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue; // recursion counts once
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + us);
  }
}
const show = (title, m) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [l, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${l}`);
  }
};
show('self time', self);
show('total time', incl);

// Optional: `--callers NAME` shows which call paths lead to functions named NAME (self time).
const ci = process.argv.indexOf('--callers');
if (ci > 0) {
  const name = process.argv[ci + 1];
  const paths = new Map();
  for (const [id, us] of dt) {
    const n = byId.get(id);
    if (n.callFrame.functionName !== name) continue;
    const chain = [];
    for (let cur = parent.get(id); cur !== undefined && chain.length < (Number(process.env.DEPTH) || 6); cur = parent.get(cur)) chain.push(label(byId.get(cur)));
    const key = chain.join('\n      <- ');
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${name}`);
  for (const [k, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`${(us / 1000).toFixed(0).padStart(8)} ms  <- ${k}`);
}

// Optional: `--under NAME` shows self time by function for samples whose stack contains NAME.
const ui = process.argv.indexOf('--under');
if (ui > 0) {
  const name = process.argv[ui + 1];
  const m = new Map();
  let sum = 0;
  for (const [id, us] of dt) {
    let inside = false;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur).callFrame.functionName === name) inside = true;
    if (!inside) continue;
    sum += us;
    const l = label(byId.get(id));
    m.set(l, (m.get(l) ?? 0) + us);
  }
  console.log(`\nself time under ${name}: ${(sum / 1000).toFixed(0)} ms`);
  for (const [l, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top || 25)) console.log(`${(us / 1000).toFixed(0).padStart(8)} ms  ${l}`);
}

// Self time by area: GC, rxjs, js-yaml, rxmgmt (by directory), node internals, native calls.
if (process.argv.includes('--areas')) {
  const area = (n) => {
    const { url, functionName } = n.callFrame;
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    if (url.includes('node_modules/rxjs/')) return 'rxjs';
    if (url.includes('node_modules/js-yaml/')) return 'js-yaml';
    if (url.includes('node_modules/')) return 'other node_modules';
    const m = /\/dist\/((?:src\/)?[^/]+)\//.exec(url);
    if (m) return `rxmgmt ${m[1]}`;
    if (url.startsWith('node:')) return 'node internals (js)';
    if (!url) return 'native (fs bindings etc.)';
    return 'other';
  };
  const m = new Map();
  for (const [id, us] of dt) m.set(area(byId.get(id)), (m.get(area(byId.get(id))) ?? 0) + us);
  console.log('\nself time by area');
  for (const [l, us] of [...m].sort((a, b) => b[1] - a[1])) {
    console.log(`${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${l}`);
  }
}
