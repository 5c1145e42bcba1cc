// One job at a time per key: two line resources editing one file must not both read it, then
// both write it (the second write would drop the first one's line).

const tails = new Map<string, Promise<void>>();

/** Runs `job` once every job queued before it under `key` has settled; resolves as `job` does. */
export function exclusive<T>(key: string, job: () => Promise<T>): Promise<T> {
  const run = (tails.get(key) ?? Promise.resolve()).then(job);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}
