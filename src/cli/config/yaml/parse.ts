import { LineCounter, parseDocument } from 'yaml';
import { duplicateKeyErrors } from './duplicate-keys.js';
import { ConfigContext, type ConfigOptions } from '../context.js';
import { ConfigError } from '../errors.js';
import type { Config } from '../spec.js';
import { EXAMPLE, TOP_KEYS, type ConfigDraft } from './keys.js';
import { Reader, isEmpty, isMapping } from './reader.js';
import { syntaxProblems } from './syntax.js';
import { describe } from './values.js';
import { configDirectory } from '../location.js';

/**
 * Parses and validates a `subvisor.yaml` (SPEC.md §5 and §9). `file` names the file in messages
 * and anchors relative paths (`cwd`, `envFile`, and the `.env` read beside it). Throws one
 * {@link ConfigError} listing every problem found, each with its line and column, so nothing
 * starts from a config that is wrong anywhere.
 *
 * Besides the text, it reads the env files (`.env` beside `file` unless `envFile: false`, and the
 * ones listed) and, for a `user`, the passwd file; `options` says which environment `${VAR}`
 * reads, which uid subvisor runs as and where the passwd file is (see {@link ConfigOptions}).
 *
 * Values are read strictly, with two kindnesses: YAML anchors, aliases and merge keys work as in
 * docker compose (`env: *common`, `<<: *defaults`, with top-level `x-` keys left unread as a place
 * for the anchors), and where a string is expected a plain scalar is taken as written, so
 * `PORT: 8080` and `cmd: [sleep, 5]` mean "8080" and "5" (and `VERSION: 3.10` keeps its zero). The
 * keys and how each is read are in `keys.ts`.
 *
 * @example
 * ```ts
 * const config = parseYamlConfig('processes:\n  web:\n    cmd: [node, server.js]\n', 'subvisor.yaml');
 * config.processes[0]?.cmd; // ['node', 'server.js']
 * ```
 */
export function parseYamlConfig(text: string, file: string, options: ConfigOptions = {}): Config {
  const lineCounter = new LineCounter();
  // Merge keys (`<<: *defaults`) as YAML 1.1 has them, and docker compose reads them: see Reader.pairs.
  // A byte order mark (an editor on Windows saves one) is no character of the first line: columns
  // count what the editor shows, as a Procfile's do. The parser would skip it, and count it.
  const source = text.replace(/^\uFEFF/, '');
  const document = parseDocument(source, { lineCounter, prettyErrors: true, merge: true, uniqueKeys: false });
  document.errors.push(...duplicateKeyErrors(document));
  const reader = new Reader(file, configDirectory(file), new ConfigContext(options), lineCounter, document);
  if (document.errors.length > 0) {
    // After a syntax error the document's shape is guesswork: report only the syntax errors.
    reader.problems.push(...syntaxProblems(document, source, file, lineCounter));
    throw new ConfigError(reader.problems);
  }
  reader.reportUnresolvedAliases();
  reader.reportOrderedMappings();
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  const config: ConfigDraft = { processes: [] };
  const root = document.contents;
  if (isEmpty(root)) reader.report(null, '', `the file has no processes; ${EXAMPLE}`);
  else if (!isMapping(root)) reader.report(root, '', `expected a mapping at the top level, found ${describe(root)}; ${EXAMPLE}`);
  else reader.readMapping(root, TOP_KEYS, config, { node: root, keyNode: null, path: '' });
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  const processes = config.processes.map((draft) => draft.spec);
  // `logs` only when given, so a config without it is just its processes.
  return { file, processes, ...(config.logs ? { logs: config.logs } : {}), ...(reader.warnings.length > 0 ? { warnings: reader.warnings } : {}) };
}
