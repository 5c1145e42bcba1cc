// Diagnostic preload (node -r): reports RxJS arrRemove calls on long arrays (an O(n) removal that
// becomes O(n^2) when repeated), with one stack per distinct call site.
const m = require(require('node:path').join(__dirname, '../../node_modules/rxjs/dist/cjs/internal/util/arrRemove.js'));
const orig = m.arrRemove;
const sites = new Map();
let big = 0;
m.arrRemove = function (arr, item) {
  if (arr && arr.length > 1000) {
    big++;
    const lim = Error.stackTraceLimit; Error.stackTraceLimit = 60; const stack = new Error().stack.split('\n').slice(2).filter((l) => !l.includes('node_modules/rxjs') || l.includes('operators/') && !l.includes('OperatorSubscriber')).slice(0, 25).join('\n'); Error.stackTraceLimit = lim;
    sites.set(stack, (sites.get(stack) ?? 0) + 1);
  }
  return orig(arr, item);
};
process.on('exit', () => {
  process.stderr.write(`arrRemove on arrays > 1000: ${big} calls\n`);
  for (const [s, n] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 3)) process.stderr.write(`${n}x\n${s}\n\n`);
});
