// Texts for the YAML readers' differential tests: the graph files under a directory, and a fixed
// sequence of small random edits of seed graphs (the same sequence every run, so a failure repeats).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every `.yaml` file under `dir`, sorted, depth first; none when `dir` does not exist. */
export function yamlFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return name.endsWith('.yaml') ? [path] : [];
    });
}

/** `count` texts, each a seed with one or two edits: a piece of `alphabet` put in, up to two characters cut. */
export function* seededEdits(seeds: string[], alphabet: string[], count: number): Generator<string> {
  let seed = 15;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    let text = seeds[i % seeds.length];
    for (let edits = 1 + random(2); edits > 0; edits--) {
      const at = random(text.length);
      const cut = random(3);
      text = text.slice(0, at) + alphabet[random(alphabet.length)] + text.slice(at + cut);
    }
    yield text;
  }
}
