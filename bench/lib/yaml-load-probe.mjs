// One fresh process, one loadGraphFile: its main-thread CPU (process.threadCpuUsage, so neither
// GC helpers nor compiler threads nor other processes count) and the process's peak RSS.
//   node --max-semi-space-size=16 bench/lib/yaml-load-probe.mjs DIST GRAPH
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, graph] = process.argv.slice(2);
const load = async (rel) => import(pathToFileURL(resolve(dist, rel)).href);
const { loadGraphFile } = await load('src/yaml/parse.js');
const { defaultRegistry } = await load('src/resources/registry.js');
const registry = defaultRegistry();
const before = process.threadCpuUsage();
const spec = await loadGraphFile(graph, registry);
const cpu = process.threadCpuUsage(before);
console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, resources: spec.resources.length, maxRssKiB: process.resourceUsage().maxRSS }));
