// The before/after table of a side-by-side files-converge run ($RXMGMT_CLI_BASE): both builds
// ran alternately in the same repetitions, so their paired ratio is the change.
import { fmtMiB, fmtMs } from './common.mjs';

const pct = (after, before) => `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(0)} %`;
const signedMs = (d) => `${d >= 0 ? '+' : '-'}${fmtMs(Math.abs(d))}`;
const signedMiB = (kib) => `${kib >= 0 ? '+' : '-'}${fmtMiB(Math.abs(kib))}`;

/** Markdown lines of the table, from files-converge's saved data; [] without a base build. */
export function beforeAfterTable(conv) {
  const rows = (conv?.results ?? []).filter((r) => r.base);
  if (rows.length === 0) return [];
  const before = conv.cliBaseCommit ? `before (${conv.cliBaseCommit})` : 'before';
  const after = conv.machine?.commit ? `after (${conv.machine.commit})` : 'after';
  const lines = [
    `Side by side: ${conv.cliBase} (before) and ${conv.cli} (after), alternating in every repetition.`,
    '',
    `| files-converge | ${before} | ${after} | change (paired after / before) |`,
    '|---|---|---|---|',
  ];
  for (const r of rows) {
    for (const phase of ['cold', 'warm']) {
      const b = r.base[phase];
      const a = r.engine[phase];
      const cell = (x, syncRatio) => `${fmtMs(x.wallMs)}, ${fmtMiB(x.maxRssKiB)} (paired ${syncRatio.toFixed(2)}x the synchronous floor)`;
      lines.push(
        `| ${r.n.toLocaleString('en')} files, ${phase === 'cold' ? 'cold' : 'second run'} (median of ${r.runs}) ` +
          `| ${cell(b, r.basePairedRatioSync[phase])} | ${cell(a, r.pairedRatioSync[phase])} ` +
          `| ${signedMs(a.wallMs - b.wallMs)} (${pct(a.wallMs, b.wallMs)}; paired ${r.pairedAfterOverBefore[phase].toFixed(2)}x), ${signedMiB(a.maxRssKiB - b.maxRssKiB)} |`,
      );
    }
  }
  return lines;
}
