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
import { userKind } from './user.js';
import { groupKind } from './group.js';
import { lineKind } from './line.js';
import { sysctlKind } from './sysctl.js';
import { hostnameKind } from './hostname.js';
import { cronKind } from './cron.js';
import { mountKind } from './mount.js';
import { kvKind } from './kv.js';

/** The registry with every built-in kind. */
export const builtinKinds = (): ResourceKind[] => [
  noopKind, fileKind, execKind, timerKind, msgKind, svcKind, pkgKind,
  userKind, groupKind, lineKind, sysctlKind, hostnameKind, cronKind, mountKind, kvKind,
];
export const defaultRegistry = (): Registry => new Registry(builtinKinds());
