// Names for option values in `--help`: clipanion 3 prints `--file #0`; we print `--file FILE`.

/** Flags whose value is not named by the last word of the flag. */
const NAMED: Record<string, string> = {
  '--converged-timeout': 'N',
  '--max-runtime': 'N',
  '--sema': 'N',
  '--seeds': 'URLS',
  '--hostname': 'NAME',
  '--graphviz': 'FILE',
  '--graphviz-filter': 'PROG',
  '--prometheus-listen': 'ADDR',
  '--report': 'FILE',
  // Flags of other commands and branches (world, engine): named here so they merge named.
  '--backoff-max': 'N',
  '--drain-timeout': 'N',
  '--export-ttl': 'N',
  '--etcd-client-url': 'URL',
  '--etcd-peer-url': 'URL',
  '--etcd-initial-cluster': 'CLUSTER',
  '--state-dir': 'DIR',
  '--etcd-ca': 'FILE',
  '--etcd-cert': 'FILE',
  '--etcd-key': 'FILE',
  '--host': 'NAME',
};

/** The placeholder for `--flag`: from the table, else the flag's last word (`--report` -> REPORT, `--status-file` -> FILE). */
export function placeholderFor(flag: string): string {
  return NAMED[flag] ?? flag.replace(/^-+/, '').split('-').pop()!.toUpperCase();
}

/**
 * Rewrites clipanion's `-f,--file #0` into `-f,--file FILE` throughout a usage text, and
 * re-aligns the option table (its column was sized for `#0`).
 */
export function namePlaceholders(usage: string): string {
  return realign(named(usage));
}

function named(usage: string): string {
  return usage.replace(/((?:-\w,)*(--[a-z][a-z0-9-]*))((?: #\d+)+)/g, (_all, names: string, long: string, hashes: string) => {
    const n = hashes.trim().split(/\s+/).length;
    return names + ` ${placeholderFor(long)}`.repeat(n);
  });
}

/** Option table rows: two spaces, a definition, a gap, the description; on a terminal the definition is bold, padding inside. */
const PLAIN_ROW = /^ {2}(-\S(?:.*?\S)?) {2,}(\S.*)$/;
// eslint-disable-next-line no-control-regex -- clipanion's bold is the ESC [1m / ESC [22m pair
const BOLD_ROW = /^ {2}\u001b\[1m(-\S(?:.*?\S)?) *\u001b\[22m +(\S.*)$/;

function realign(text: string): string {
  const lines = text.split('\n');
  const rows = lines.map((l) => {
    const m = BOLD_ROW.exec(l) ?? PLAIN_ROW.exec(l);
    return m ? { bold: l.startsWith('  \u001b'), def: m[1], desc: m[2] } : null;
  });
  const width = Math.max(0, ...rows.map((r) => r?.def.length ?? 0));
  return lines
    .map((l, i) => {
      const r = rows[i];
      if (!r) return l;
      return r.bold ? `  \u001b[1m${r.def.padEnd(width)}\u001b[22m    ${r.desc}` : `  ${r.def.padEnd(width)}    ${r.desc}`;
    })
    .join('\n');
}
