// The built-in resource kinds.
import type { ResourceKind } from '../model/resource.js';
import { Registry } from '../model/registry.js';
import { fileKind } from './file.js';
import { noopKind } from './noop.js';
import { pkgKind } from './pkg.js';
import { svcKind } from './svc.js';
import { execKind } from './exec.js';
import { msgKind } from './msg.js';
import { timerKind } from './timer.js';
import { kvKind } from './kv.js';

/** The registry with every built-in kind. */
export const builtinKinds = (): ResourceKind[] => [noopKind, fileKind, execKind, timerKind, msgKind, svcKind, pkgKind, kvKind];
export const defaultRegistry = (): Registry => new Registry(builtinKinds());
