// esbuild plugin for the CLI bundle: etcd3 without parsing its .proto text at every start.
//
// etcd3 calls `@grpc/proto-loader`'s loadSync on its rpc.proto when it is loaded, which costs a
// host ~0.1 s of CPU per start (tokenizing and parsing the text, then describing every message
// for gRPC reflection, which a client never uses). Here that text is parsed once, at build time,
// into protobufjs's JSON descriptor, and the CLI bundles etcd3 (unchanged) with its loadSync
// answered from that descriptor: the same protobufjs types, the same (de)serializers with the
// options etcd3 asks for, for the services only (grpc-js's loadPackageDefinition makes clients
// from those; message entries are for reflection). A loadSync of any other file, or with
// options that change how the text is read, goes to the real proto-loader.
//
// etcd3's own dependencies stay outside the bundle and are required from etcd3's directory at
// run time, exactly as etcd3 itself would resolve them (whatever layout npm chose); its
// `__dirname` is that directory. The library (tsc's dist/) imports etcd3 from node_modules as
// before. Used by scripts/build-cli.mjs: `plugins: [..., etcdProto]`. The startup snapshot's
// script uses `etcdProtoBundled` instead: there etcd3's dependencies are bundled as well, so the
// whole client is loaded when the snapshot is built (with scripts/snapshot-lazy-builtins.mjs).
import { readFile } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, sep } from 'node:path';

const require = createRequire(import.meta.url);
const etcd3Dir = dirname(require.resolve('etcd3/package.json'));
const etcdRequire = createRequire(join(etcd3Dir, 'package.json'));
const protoLoaderDir = dirname(etcdRequire.resolve('@grpc/proto-loader/package.json'));
const PROTO = 'proto/rpc.proto';

/** The options etcd3 passes, which decide how the text is read (the rest only shape decoding). */
const PARSE_OPTIONS = { keepCase: true };

/** rpc.proto and its imports as protobufjs's JSON, read by proto-loader itself. */
function descriptor() {
  const { loadProtosWithOptionsSync } = createRequire(join(protoLoaderDir, 'package.json'))('./build/src/util.js');
  return loadProtosWithOptionsSync(join(etcd3Dir, PROTO), { ...PARSE_OPTIONS }).toJSON();
}

// Run time: what a bundled module of etcd3 gets for `require(x)`: etcd3's own resolution.
const RUNTIME_REQUIRE = `require('node:module').createRequire(require.resolve('etcd3'))`;
/**
 * Where etcd3's modules think they are when its dependencies are bundled too (the startup
 * snapshot: nothing may be resolved on the building machine's disk). etcd3 uses its directory
 * only to name rpc.proto, which is answered from the descriptor.
 */
const BUNDLED_ETCD3_DIR = '/bundled/etcd3';

/**
 * The proto-loader etcd3 sees: loadSync from the descriptor, anything else from the real one.
 * `bundled`: protobufjs (light) is bundled with it, and there is no real one to fall back to.
 */
function loaderSource(json, bundled) {
  const head = bundled
    ? `"use strict";
const real = () => { throw new Error("only etcd3's rpc.proto is precompiled into rxmgmt's startup snapshot"); };
const protobuf = require('protobufjs/light');
const PROTO = ${JSON.stringify(`${BUNDLED_ETCD3_DIR}/${PROTO}`)};
`
    : `"use strict";
const etcdRequire = ${RUNTIME_REQUIRE};
const real = () => etcdRequire('@grpc/proto-loader');
// protobufjs as proto-loader resolves it (reflection without the .proto parser).
const protobuf = require('node:module').createRequire(etcdRequire.resolve('@grpc/proto-loader'))('protobufjs/light');
const PROTO = require('node:path').join(require('node:path').dirname(require.resolve('etcd3/package.json')), ${JSON.stringify(PROTO)});
`;
  return `${head}const DESCRIPTOR = ${JSON.stringify(json)};
const PARSE_OPTIONS = ${JSON.stringify(PARSE_OPTIONS)};

function precompiled(filename, options) {
  if (require('node:path').resolve(String(filename)) !== PROTO) return false;
  for (const k of ['keepCase', 'alternateCommentMode', 'includeDirs']) if ((options || {})[k] !== PARSE_OPTIONS[k]) return false;
  return true;
}

/** A package definition with the services of \`root\` (what grpc-js makes clients of). */
function services(root, options) {
  const def = {};
  const walk = (ns, prefix) => {
    for (const obj of ns.nestedArray) {
      const name = prefix ? prefix + '.' + obj.name : obj.name;
      if (obj instanceof protobuf.Service) def[name] = service(obj, name, options);
      else if (obj instanceof protobuf.Namespace && !(obj instanceof protobuf.Type)) walk(obj, name);
    }
  };
  walk(root, '');
  return def;
}

function service(svc, name, options) {
  const methods = {};
  for (const m of svc.methodsArray) {
    const req = m.resolvedRequestType;
    const res = m.resolvedResponseType;
    methods[m.name] = {
      path: '/' + name + '/' + m.name,
      requestStream: !!m.requestStream,
      responseStream: !!m.responseStream,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req, options),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res, options),
      // etcd3 calls methods by their lower-camel names (range, deleteRange, hashKV).
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return methods;
}

function serializer(type) {
  return (arg) => {
    if (Array.isArray(arg)) throw new Error('Failed to serialize message: expected object with ' + type.name + ' structure, got array instead');
    return type.encode(type.fromObject(arg)).finish();
  };
}

function deserializer(type, options) {
  return (buf) => type.toObject(type.decode(buf), options);
}

exports.loadSync = (filename, options) => {
  if (!precompiled(filename, options)) return real().loadSync(filename, options);
  const root = protobuf.Root.fromJSON(DESCRIPTOR);
  root.resolveAll();${bundled ? `
  generateCodecs(root);` : ''}
  return services(root, options || {});
};${bundled ? `

/**
 * protobufjs generates each message type's encode, decode and conversions at its first use
 * (~8 ms of a host's start); loaded while the startup snapshot is built, this does it then, and
 * the snapshot holds the generated functions.
 */
function generateCodecs(ns) {
  for (const obj of ns.nestedArray) {
    if (obj instanceof protobuf.Type) obj.setup();
    if (obj instanceof protobuf.Namespace) generateCodecs(obj);
  }
}` : ''}
for (const k of ['load', 'fromJSON', 'loadFileDescriptorSetFromBuffer', 'loadFileDescriptorSetFromObject', 'isAnyExtension']) {
  Object.defineProperty(exports, k, { enumerable: true, get: () => real()[k] });
}
`;
}

/**
 * The plugin. `bundleDeps`: etcd3's dependencies (grpc-js, protobufjs, ...) are bundled too,
 * resolved from etcd3's directory at build time, instead of required from there at run time.
 */
function etcdProtoPlugin({ bundleDeps }) {
  return {
    name: bundleDeps ? 'etcd-proto-bundled' : 'etcd-proto',
    setup(b) {
      // etcd3 itself is bundled (the package stays a dependency: its code, its descriptor).
      b.initialOptions.external = (b.initialOptions.external ?? []).filter((e) => e !== 'etcd3');
      const inEtcd3 = (p) => p.startsWith(etcd3Dir + sep);
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!inEtcd3(args.importer) || isBuiltin(args.path)) return undefined;
        if (args.path === '@grpc/proto-loader') return { path: args.path, namespace: 'etcd-proto' };
        return bundleDeps ? undefined : { path: args.path, namespace: 'etcd3-dep' };
      });
      b.onLoad({ filter: /.*/, namespace: 'etcd-proto' }, () => ({
        contents: loaderSource(descriptor(), bundleDeps),
        loader: 'js',
        resolveDir: bundleDeps ? protoLoaderDir : etcd3Dir,
      }));
      b.onLoad({ filter: /.*/, namespace: 'etcd3-dep' }, (args) => ({
        contents: `module.exports = ${RUNTIME_REQUIRE}(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
      // The directory etcd3's modules would have as CommonJS modules of their own.
      b.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!inEtcd3(args.path)) return undefined;
        const source = await readFile(args.path, 'utf8');
        const rel = args.path.slice(etcd3Dir.length + 1).split(sep).slice(0, -1).join('/');
        const dir = bundleDeps
          ? JSON.stringify(`${BUNDLED_ETCD3_DIR}/${rel}`)
          : `require('node:path').join(require('node:path').dirname(require.resolve('etcd3/package.json')), ${JSON.stringify(rel)})`;
        return { contents: `var __dirname = ${dir};\n${source}`, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** For the CLI's bundle: etcd3 bundled, its dependencies required from etcd3's directory at run time. */
export const etcdProto = etcdProtoPlugin({ bundleDeps: false });
/** For the startup snapshot's script: etcd3 and its dependencies bundled, nothing resolved at run time. */
export const etcdProtoBundled = etcdProtoPlugin({ bundleDeps: true });
