// Real TypeScript's verdict on generated workspaces: what `tsc --noEmit -p <config>`
// reports, through the compiler API (the code tsc runs) so that one Node process judges
// hundreds of small projects; the standard library's declarations are parsed once.
// argv[2]: the typescript package's folder. stdin: ["/abs/tsconfig.json", ...] as JSON.
// stdout: [{"config", "file", "line", "code", "text"}, ...], file and line null for a
// diagnostic about the config or the options.
const ts = require(process.argv[2]);
const configs = JSON.parse(require("fs").readFileSync(0, "utf8"));
const libs = new Map();
const out = [];
for (const config of configs) {
  const parsed = ts.getParsedCommandLineOfConfigFile(config, { noEmit: true }, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) =>
      out.push({ config, file: null, line: null, code: d.code, text: ts.flattenDiagnosticMessageText(d.messageText, "\n") }),
  });
  if (!parsed) continue;
  // the standard library's declarations are TypeScript's own: checking them again for every
  // project changes no verdict about the project's files and costs most of the time
  parsed.options.skipDefaultLibCheck = true;
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!fileName.startsWith(process.argv[2])) return getSourceFile(fileName, languageVersion, ...rest);
    const key = fileName + JSON.stringify(languageVersion);
    if (!libs.has(key)) libs.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return libs.get(key);
  };
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: parsed.errors,
    host,
  });
  for (const d of [...parsed.errors, ...ts.getPreEmitDiagnostics(program)]) {
    const where = d.file ? { file: d.file.fileName, line: d.file.getLineAndCharacterOfPosition(d.start).line + 1 } : { file: null, line: null };
    out.push({ config, ...where, code: d.code, text: ts.flattenDiagnosticMessageText(d.messageText, "\n") });
  }
}
process.stdout.write(JSON.stringify(out));
