#!/usr/bin/env node
// What ran when in a V8 .cpuprofile: the run cut into S slices of time, each with its top three
// entries by self time, attributed to the nearest rxmgmt (dist/) frame on the stack when there is one.
//   node bench/lib/profile-timeline.mjs FILE.cpuprofile [S]
import { readFileSync } from 'node:fs';
const [file, slicesArg] = process.argv.slice(2);
const S = Number(slicesArg ?? 20);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const span = p.endTime - p.startTime;
const slices = Array.from({ length: S }, () => new Map());
let t = 0;
const interesting = (id) => { // nearest rxmgmt frame (dist/) on the stack, else the leaf
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) { const f = byId.get(cur).callFrame; if (f.url.includes('/dist/')) return `${f.functionName || '(anon)'} ${f.url.replace(/.*\/dist\//, '')}:${f.lineNumber + 1}`; }
  return byId.get(id).callFrame.functionName;
};
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  const s = slices[Math.min(S - 1, Math.floor((S * t) / span))];
  const k = interesting(p.samples[i]);
  s.set(k, (s.get(k) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
}
slices.forEach((m, i) => {
  const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, us]) => `${(us / 1000).toFixed(0)}ms ${k}`);
  console.log(`${((i * span) / S / 1e6).toFixed(2).padStart(6)}s  ${top.join(' | ')}`);
});
