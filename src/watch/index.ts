// The shared file-system watcher: paths in, "may have changed" signals out.
export { watchPath } from './watch-path.js';
export { watchTree } from './watch-tree.js';
export { openWatchCount, pollingWatchCount, watchFallback } from './directory-watch.js';
export type { EntryEvent, EntryListener } from './directory-watch.js';
export { OwnRenames } from './own-renames.js';
export type { EntryInterest } from './directory-registry.js';
export { watchDirectory, watchEntry } from './directory-registry.js';
