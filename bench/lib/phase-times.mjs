// Diagnostic preload: splits a `rxmgmt run --log-level info` process into phases, from the log
// lines it writes: start -> graph loaded ("graph ...: N resources") -> converged ("draining")
// -> exit. Prints the phase durations to stderr at exit.
//   node --import ./bench/lib/phase-times.mjs dist/src/cli/main.js run -f G -t 0 --log-level info
const t0 = performance.timeOrigin;
const marks = [];
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  const s = String(chunk);
  if (!marks.some((m) => m[0] === 'graph loaded') && /graph "?.*"?: \d+ resources/.test(s)) marks.push(['graph loaded', performance.now()]);
  if (!marks.some((m) => m[0] === 'converged') && /draining/.test(s)) marks.push(['converged', performance.now()]);
  return write(chunk, ...rest);
};
process.on('exit', () => {
  marks.push(['exit', performance.now()]);
  let prev = 0;
  const parts = marks.map(([name, t]) => {
    const s = `${name} +${(t - prev).toFixed(0)} ms`;
    prev = t;
    return s;
  });
  write(`phases (ms since process start, timeOrigin ${t0.toFixed(0)}): ${parts.join(', ')}\n`);
});
