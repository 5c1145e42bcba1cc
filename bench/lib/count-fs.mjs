// Diagnostic preload: counts the fs calls (callback, sync and fs/promises APIs) a process makes
// and prints them at exit. It must load first, before anything captures the fs functions.
//   node --import ./bench/lib/count-fs.mjs dist/src/cli/main.js run ...
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const counts = new Map();
for (const name of ['lstat', 'stat', 'readFile', 'writeFile', 'rename', 'open', 'chmod', 'chown', 'rm', 'unlink', 'mkdir']) {
  const orig = fs.promises[name];
  fs.promises[name] = function (...args) {
    counts.set(`promises.${name}`, (counts.get(`promises.${name}`) ?? 0) + 1);
    return orig.apply(this, args);
  };
}
for (const name of ['watch', 'statSync', 'lstatSync', 'lstat', 'stat', 'readFile', 'writeFile', 'rename', 'open', 'chmod', 'chown']) {
  const orig = fs[name];
  fs[name] = function (...args) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return orig.apply(this, args);
  };
}
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write(`fs calls: ${JSON.stringify(Object.fromEntries(counts))}\n`));
