// noop: a resource that is always in its desired state. Useful as a graph anchor.
import { NEVER, of } from 'rxjs';
import type { ResourceKind } from '../model/resource.js';

export const noopKind: ResourceKind = {
  kind: 'noop',
  doc: 'Does nothing and is always in its desired state. Useful to group or order other resources.',
  fields: {
    comment: { type: 'string', default: '', doc: 'free text, ignored' },
  },
  madeFromSpec: true,
  create(spec) {
    return {
      kind: 'noop',
      name: spec.name,
      meta: spec.meta,
      fingerprint: JSON.stringify(spec.params),
      watch: () => NEVER,
      checkApply: () => of(true),
    };
  },
};
