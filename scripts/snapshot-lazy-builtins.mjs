// esbuild plugin for the startup snapshot's script: Node's http2, http, tls, zlib and dns, as
// etcd3's gRPC stack (grpc-js) sees them, loaded at their first use at run time instead of when
// the snapshot is built.
//
// grpc-js requires those modules when it loads, and the heap of a loaded http2 or http holds
// native parser and session state that V8 cannot save in a snapshot (the build aborts). grpc-js
// only calls into them when it connects, so it gets a stand-in for each: a property read loads
// the real module then (Node's own, the same object every time) and answers from it. The one
// thing grpc-js reads while loading is `http2.constants`, plain numbers and strings: the
// stand-in holds a copy, taken by the Node that builds (the one the snapshot runs on).
//
// Only modules under node_modules get stand-ins: rxmgmt's own code imports Node's modules as
// they are (it loads none of these while the snapshot is built).
import http2 from 'node:http2';
import { sep } from 'node:path';

const LAZY = /^(node:)?(http2|http|tls|zlib|dns)$/;

/** The stand-in for Node's `name`: a Proxy over the real module, loaded at the first read. */
function standIn(name) {
  const constants = name === 'http2' ? `const constants = ${JSON.stringify(http2.constants)};` : '';
  return `"use strict";
let real;
const load = () => (real ??= require('node:${name}'));
${constants}
module.exports = new Proxy({}, {
  get(_, key) {
    ${name === 'http2' ? "if (key === 'constants') return constants; // one object, read on every call" : ''}
    const value = load()[key];
    // Functions keep the module as their this (classes stay as they are).
    return typeof value === 'function' && !/^[A-Z]/.test(String(key)) ? value.bind(real) : value;
  },
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => ({ ...Reflect.getOwnPropertyDescriptor(load(), key), configurable: true }),
});
`;
}

export const snapshotLazyBuiltins = {
  name: 'snapshot-lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY }, (args) => {
      if (args.namespace === 'lazy-builtin') return { path: `node:${args.path.replace(/^node:/, '')}`, external: true };
      if (!args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
      return { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: standIn(args.path), loader: 'js' }));
  },
};
