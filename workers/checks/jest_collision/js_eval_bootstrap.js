// prgate's module shim for evaluating Jest configs in an embedded engine (js_eval.py).
// Defined before this file runs: __cwd (string), __missing and __resolved (objects keyed
// by importer + "\0" + specifier). Nothing here reaches the host: the files a config may
// require were read by prgate beforehand and are registered in __factories.
//
// The config runs in this same script, so what the sandbox relies on is captured before
// it runs and kept where it cannot reach: the records (environment reads, refused
// requires, computed paths, the outcome) live in a closure, the functions around them
// are `const` bindings (a script cannot reassign them), and JSON.stringify and friends
// are the engine's originals, taken now.
const __sandbox = (() => {
  const stringify = JSON.stringify;
  const push = Function.prototype.call.bind(Array.prototype.push);
  const reads = [], refused = [], wanted = [];
  let result, failure;
  // The built-ins a left-out option's value may touch (js_contain.py): their own properties
  // and prototypes now, compared with what they are when the outcome is read.
  const ownKeys = Reflect.ownKeys, describe = Object.getOwnPropertyDescriptor;
  const protoOf = Object.getPrototypeOf, same = Object.is;
  const arrayIterator = protoOf([][Symbol.iterator]());
  const builtins = [
    ['globalThis', globalThis], ['Object', Object], ['Object.prototype', Object.prototype],
    ['Array', Array], ['Array.prototype', Array.prototype], ['String', String],
    ['String.prototype', String.prototype], ['Number', Number],
    ['Number.prototype', Number.prototype], ['Boolean', Boolean],
    ['Boolean.prototype', Boolean.prototype], ['Symbol', Symbol],
    ['Symbol.prototype', Symbol.prototype], ['Function.prototype', Function.prototype],
    ['RegExp', RegExp], ['RegExp.prototype', RegExp.prototype], ['JSON', JSON],
    ['Math', Math], ['Reflect', Reflect], ['Array Iterator', arrayIterator],
    ['Iterator', protoOf(arrayIterator)], ['String Iterator', protoOf(''[Symbol.iterator]())],
    ['Error.prototype', Error.prototype],
  ];
  const snapshot = () => {
    const out = [];
    for (const [, object] of builtins) {
      const entries = [protoOf(object)];
      for (const key of ownKeys(object)) {
        const d = describe(object, key);
        push(entries, key, d.value, d.get, d.set, d.writable, d.configurable);
      }
      push(out, entries);
    }
    return out;
  };
  const before = snapshot();
  const tampered = () => {
    const after = snapshot();
    for (let i = 0; i < before.length; i++) {
      const a = before[i], b = after[i];
      if (a.length !== b.length) return builtins[i][0];
      for (let j = 0; j < a.length; j++) if (!same(a[j], b[j])) return builtins[i][0];
    }
    return null;
  };
  return Object.freeze({
    read(key) { push(reads, String(key)); },
    refuse(from, spec, why) { push(refused, [String(from), String(spec), String(why)]); },
    want(from, spec) { push(wanted, [String(from), String(spec)]); },
    settle(value) { result = value; },
    fail(text) { failure = String(text); },
    stringify(value, replacer) { return stringify(value, replacer); },
    outcome() { return stringify({ result, failure, reads, refused, wanted, tampered: tampered() }); },
  });
})();
const __modules = new Map();
const __factories = new Map();
const __default = function (m) { return m && m.__esModule ? m.default : m; };
const __path = (() => {
  function normalizeArray(parts, absolute) {
    const out = [];
    for (const p of parts) {
      if (!p || p === '.') continue;
      if (p === '..') { if (out.length && out[out.length - 1] !== '..') out.pop(); else if (!absolute) out.push('..'); }
      else out.push(p);
    }
    return out;
  }
  function normalize(p) {
    const abs = p.startsWith('/');
    const trailing = p.endsWith('/');
    let s = normalizeArray(p.split('/'), abs).join('/');
    if (!s && !abs) s = '.';
    if (s && trailing) s += '/';
    return (abs ? '/' : '') + s;
  }
  function join(...parts) { const j = parts.filter(x => x !== '').join('/'); return j ? normalize(j) : '.'; }
  function resolve(...parts) {
    let r = '';
    for (let i = parts.length - 1; i >= 0 && !r.startsWith('/'); i--) r = parts[i] + (r ? '/' + r : '');
    if (!r.startsWith('/')) r = __cwd + '/' + r;
    const n = '/' + normalizeArray(r.split('/'), true).join('/');
    return n;
  }
  function dirname(p) { const i = p.replace(/\/+$/, '').lastIndexOf('/'); return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i); }
  function basename(p, ext) { let b = p.replace(/\/+$/, ''); b = b.slice(b.lastIndexOf('/') + 1); return ext && b.endsWith(ext) && b !== ext ? b.slice(0, -ext.length) : b; }
  function extname(p) { const b = basename(p); const i = b.lastIndexOf('.'); return i <= 0 ? '' : b.slice(i); }
  function relative(from, to) {
    const f = resolve(from).split('/').filter(Boolean), t = resolve(to).split('/').filter(Boolean);
    let i = 0; while (i < f.length && i < t.length && f[i] === t[i]) i++;
    return [...Array(f.length - i).fill('..'), ...t.slice(i)].join('/');
  }
  function isAbsolute(p) { return p.startsWith('/'); }
  const api = { sep: '/', delimiter: ':', normalize, join, resolve, dirname, basename, extname, relative, isAbsolute };
  api.posix = api;
  return api;
})();
const __url = {
  fileURLToPath(u) { const s = String(u && u.href || u); if (!s.startsWith('file://')) throw new TypeError('The URL must be of scheme file'); return decodeURIComponent(s.slice(7)); },
  pathToFileURL(p) { return { href: 'file://' + encodeURI(__path.resolve(p)), toString() { return this.href; } }; },
};
// A module's require. require.resolve knows the files prgate read for this module; a path
// under node_modules is unknown, and any value computed from it could decide the haste map.
const __requireFor = function (file) {
  const req = spec => __require(file, spec);
  req.resolve = spec => {
    if (Object.prototype.hasOwnProperty.call(__builtins, spec)) return spec;
    const target = __resolved[file + '\0' + spec];
    if (target === undefined) throw new Error("Cannot resolve module '" + spec + "' from " + file + ': node_modules is not in the checkout');
    return target;
  };
  return req;
};
// createRequire(import.meta.url) gives the module's own require: the same table of files.
const __module = { createRequire(u) { return __requireFor(__url.fileURLToPath(u)); } };
// WHATWG URL, for file: URLs only (`new URL('./x.js', import.meta.url)` in ES module
// configs); any other scheme, a query or a fragment throws, so nothing is guessed.
class URL {
  constructor(input, base) {
    const text = String(input && input.href || input);
    let path;
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text)) {
      path = URL.__path(text);
    } else {
      if (base === undefined) throw new TypeError('Invalid URL: ' + text);
      const from = URL.__path(String(base && base.href || base));
      const dir = text.startsWith('/') ? '/' : from.endsWith('/') ? from : __path.dirname(from);
      // a path ending in /, . or .. names a folder, which a URL writes with a final /
      const folder = /(^|\/)(\.\.?)?$/.test(text);
      path = __path.resolve(dir, text);
      if (folder && !path.endsWith('/')) path += '/';
    }
    this.protocol = 'file:';
    this.pathname = encodeURI(path);
    this.href = 'file://' + this.pathname;
  }
  static __path(href) {
    if (!href.startsWith('file://')) throw new TypeError("prgate's sandbox has file: URLs only: " + href);
    if (/[?#]/.test(href)) throw new TypeError("prgate's sandbox has no URL query or fragment: " + href);
    return decodeURIComponent(href.slice(7));
  }
  toString() { return this.href; }
  toJSON() { return this.href; }
}
__url.URL = URL;
const __builtins = { 'path': __path, 'node:path': __path, 'url': __url, 'node:url': __url, 'module': __module, 'node:module': __module };
// Environment variables are the CI machine's, which prgate cannot know: every way of
// looking at them is recorded and makes the prediction unpredictable rather than wrong.
const __env = new Proxy({}, {
  get(_, key) { if (typeof key === 'string') __sandbox.read(key); return undefined; },
  has(_, key) { if (typeof key === 'string') __sandbox.read(key); return false; },
  getOwnPropertyDescriptor(_, key) { if (typeof key === 'string') __sandbox.read(key); return undefined; },
  ownKeys() { __sandbox.read('*'); return []; },
  set(_, key) { __sandbox.read(String(key)); return true; },
  defineProperty(_, key) { __sandbox.read(String(key)); return true; },
  deleteProperty(_, key) { __sandbox.read(String(key)); return true; },
});
// `process` as far as a config needs it; anything else a config looks at (versions,
// argv, execPath...) is the machine's, unknown here, and recorded like the environment.
const __processKnown = { cwd: () => __cwd, env: __env, platform: 'linux' };
const process = new Proxy(Object.freeze({}), {
  get(_, key) {
    if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(__processKnown, key)) return __processKnown[key];
    if (typeof key === 'string') __sandbox.read('process.' + key);
    return undefined;
  },
  has(_, key) { if (typeof key === 'string' && !(key in __processKnown)) __sandbox.read('process.' + key); return key in __processKnown; },
  ownKeys() { __sandbox.read('process.*'); return []; },
  getOwnPropertyDescriptor(_, key) { if (typeof key === 'string') __sandbox.read('process.' + key); return undefined; },
});
const global = globalThis;
const __require = function (from, spec) {
  if (Object.prototype.hasOwnProperty.call(__builtins, spec)) return __builtins[spec];
  const key = from + '\0' + spec;
  const target = __resolved[key];
  if (target === undefined && typeof spec === 'string' && /^(\/|\.\.?(\/|$))/.test(spec)) {
    // a path computed at run time: prgate reads the file, if the repository has it, and
    // evaluates again (js_eval.evaluate)
    __sandbox.want(from, spec);
  }
  if (target === undefined) {
    const why = __missing[key] || 'it is not available in prgate\'s sandbox';
    // recorded even if the config catches the error: under Node the require may succeed
    __sandbox.refuse(from, spec, why);
    throw new Error("Cannot find module '" + spec + "' from " + from + ': ' + why);
  }
  return __load(target);
};
const __load = function (file) {
  if (__modules.has(file)) return __modules.get(file).exports;
  const module = { exports: {} };
  __modules.set(file, module);
  const factory = __factories.get(file);
  if (typeof factory !== 'function') { module.exports = factory; return module.exports; }
  const dir = __path.dirname(file);
  factory(module, module.exports, __requireFor(file), file, dir, { url: 'file://' + file, dirname: dir, filename: file });
  return module.exports;
};
// The exported value as JSON; getters and toJSON methods run here, so environment reads
// they make are recorded before the outcome is read.
const __serialize = value => __sandbox.stringify(value, (k, v) => {
  if (typeof v === 'function') return { '__prgate__': 'function' };
  if (v instanceof RegExp) return { '__prgate__': 'regexp', source: v.source };
  return v;
});
