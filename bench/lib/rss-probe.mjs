// Peak-RSS probe, preloaded into a measured Node process with `node --import <this file> ...`.
// When that process exits (including through process.exit), it writes its own peak resident set
// size, process.resourceUsage().maxRSS (getrusage(RUSAGE_SELF).ru_maxrss, in KiB), to the file
// named by $BENCH_RSS_OUT. This is the same number GNU `time -v` reports as "Maximum resident set
// size", read by the process itself: no extra process, no /proc polling race, nothing to install.
import { writeFileSync } from 'node:fs';

const out = process.env.BENCH_RSS_OUT;
if (out) {
  delete process.env.BENCH_RSS_OUT; // not inherited by anything the measured process spawns
  process.on('exit', () => {
    try {
      writeFileSync(out, String(process.resourceUsage().maxRSS));
    } catch {
      // the harness reports a missing figure
    }
  });
}
