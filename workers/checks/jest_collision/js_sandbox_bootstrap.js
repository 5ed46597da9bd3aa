// prgate's module shim for evaluating Jest configs in an isolated V8 (js_sandbox.py).
// Defined before this file runs: __cwd (string), __missing and __resolved (objects keyed
// by importer + "\0" + specifier). Nothing here reaches the host: the files a config may
// require were read by prgate beforehand and are registered in __factories.
const __modules = new Map();
const __factories = new Map();
function __default(m) { return m && m.__esModule ? m.default : m; }
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
function __requireFor(file) {
  const req = spec => __require(file, spec);
  req.resolve = spec => {
    if (Object.prototype.hasOwnProperty.call(__builtins, spec)) return spec;
    const target = __resolved[file + '\0' + spec];
    if (target === undefined) throw new Error("Cannot resolve module '" + spec + "' from " + file + ': node_modules is not in the checkout');
    return target;
  };
  return req;
}
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
// Environment variables are the CI machine's, which prgate cannot know: reads are
// recorded and make the prediction unpredictable rather than silently wrong.
const __envReads = [];
const __env = new Proxy({}, {
  get(_, key) { if (typeof key === 'string') __envReads.push(key); return undefined; },
  has(_, key) { if (typeof key === 'string') __envReads.push(key); return false; },
  ownKeys() { __envReads.push('*'); return []; },
});
const process = Object.freeze({ cwd: () => __cwd, env: __env, platform: 'linux', argv: [], versions: {} });
function __require(from, spec) {
  if (Object.prototype.hasOwnProperty.call(__builtins, spec)) return __builtins[spec];
  const key = from + '\0' + spec;
  const target = __resolved[key];
  if (target === undefined && typeof spec === 'string' && /^(\/|\.\.?(\/|$))/.test(spec)) {
    // a path computed at run time: prgate reads the file, if the repository has it, and
    // evaluates again (js_sandbox.evaluate)
    (globalThis.__wanted = globalThis.__wanted || []).push([from, spec]);
  }
  if (target === undefined) {
    const why = __missing[key] || 'it is not available in prgate\'s sandbox';
    throw new Error("Cannot find module '" + spec + "' from " + from + ': ' + why);
  }
  return __load(target);
}
function __load(file) {
  if (__modules.has(file)) return __modules.get(file).exports;
  const module = { exports: {} };
  __modules.set(file, module);
  const factory = __factories.get(file);
  if (typeof factory !== 'function') { module.exports = factory; return module.exports; }
  const dir = __path.dirname(file);
  factory(module, module.exports, __requireFor(file), file, dir, { url: 'file://' + file, dirname: dir, filename: file });
  return module.exports;
}
function __serialize(value) {
  if (__envReads.length) return JSON.stringify({ '__prgate_env__': [...new Set(__envReads)] });
  return JSON.stringify(value, (k, v) => {
    if (typeof v === 'function') return { '__prgate__': 'function' };
    if (v instanceof RegExp) return { '__prgate__': 'regexp', source: v.source };
    return v;
  });
}
