#!/usr/bin/env node
// Summarizes a .heapsnapshot: object count and self size by constructor name.
//   node bench/lib/heap-summary.mjs FILE.heapsnapshot [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const f = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = f.length;
const iType = f.indexOf('type'), iName = f.indexOf('name'), iSize = f.indexOf('self_size');
const agg = new Map();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + iType]];
  const name = type === 'object' || type === 'closure' ? `${type} ${snap.strings[snap.nodes[i + iName]]}` : `(${type})`;
  const size = snap.nodes[i + iSize];
  total += size;
  const a = agg.get(name) ?? { n: 0, size: 0 };
  a.n++;
  a.size += size;
  agg.set(name, a);
}
console.log(`total self size ${(total / 1048576).toFixed(1)} MB`);
for (const [name, a] of [...agg].sort((x, y) => y[1].size - x[1].size).slice(0, Number(topArg ?? 40))) {
  console.log(`${(a.size / 1048576).toFixed(2).padStart(8)} MB ${String(a.n).padStart(9)}  ${name}`);
}
