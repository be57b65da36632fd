import { dirname, join, resolve, sep } from 'node:path';
import { parseExportArgs, type ExportArgs } from '../args.js';
import { announceTerminalConfig, findConfigFile } from './config-file.js';
import { readConfig, type Config } from '../config/index.js';
import { EXIT, type Ending } from '../exit-status.js';
import { DEFAULT_IMAGE, exportCompose } from '../export/compose.js';
import { ExportError } from '../export/errors.js';
import { defaultPrefix } from '../export/prefix.js';
import { exportSystemd, unitWorkingDirectory, type ExportedFile } from '../export/systemd.js';
import { exportedProcesses, type ExportPlanOptions } from '../export/plan.js';
import { programsSystemdMisses } from '../export/programs.js';
import { unitUserBarriers } from '../export/user-access.js';
import type { ProcessSpec } from '../config/spec.js';
import { node } from '../../builtins.js';
import { makeDirectories } from '../directories.js';
import { statOf } from '../../process/stat.js';
import { warnAboutConfig } from '../config-warnings.js';
import { shownAsText } from '../../log/sanitize.js';
import { errnoCode } from '../../errno.js';
import { directoryOthersMayWrite, refusalOfOpenDirectory } from '../others-may-write.js';
import { writeNewFile } from '../export/new-file.js';

/**
 * The mode of the directories `-o` makes: its maker's alone to write, whatever the umask (under
 * 000, mkdir's default would make them world-writable, and the export would refuse what it had
 * just made; see refuseOpenDirectory), and readable by all, as /etc/systemd/system is.
 */
const OUTPUT_DIRECTORY_MODE = 0o755;

/** Where units are installed when printed to stdout: what the generated env files are named under. */
const DEFAULT_UNIT_DIR = '/etc/systemd/system';

/**
 * `subvisor export systemd|compose` (SPEC §11): the config, read as `subvisor up` reads it, written
 * for another supervisor. Nothing is started.
 */
export function exportCommand(args: readonly string[]): Ending {
  const parsed = parseExportArgs(args);
  const file = findConfigFile(parsed.file);
  announceTerminalConfig(file);
  // uid 0: `user:` is exported, not used here, so it needs no root, nor ids this user namespace
  // maps; the user must exist in the passwd file all the same (a typo is caught here, not on the target).
  const { config, format } = readConfig(file, { uid: 0, idMapFiles: null });
  warnAboutConfig(config);
  // What `up` would run: a Procfile's processes get foreman's PS, and PORT unless --no-port, as under `up`.
  const procfile = format.kind === 'procfile';
  const plan: ExportPlanOptions = { procfile, assignPorts: procfile && parsed.port };
  if (parsed.format === 'systemd') exportUnits(config, parsed, plan);
  else exportComposeFile(config, parsed, plan);
  return { exitCode: EXIT.ok };
}

/** To `-o DIR` (created when missing), or, without it, to stdout, each file under a `# ==> NAME <==` line. */
function exportUnits(config: Config, parsed: ExportArgs, plan: ExportPlanOptions): void {
  const unitDir = parsed.output === undefined ? DEFAULT_UNIT_DIR : resolve(parsed.output);
  // The file that runs, not the npm bin symlink that may have led to it.
  const cliPath = node.fs.realpathSync(process.argv[1] ?? '');
  const prefix = parsed.prefix ?? defaultPrefix(config.file);
  const nodePath = process.execPath;
  const files = exportSystemd(config, { prefix, unitDir, nodePath, cliPath, dropReadyLog: parsed.dropReadyLog, ...plan });
  warnOfPassingCli(cliPath, files);
  const processes = exportedProcesses(config, plan);
  const probed = (spec: ProcessSpec): boolean => files.some((exported) => exported.probes === spec.name);
  const cwdOf = (spec: ProcessSpec): string => unitWorkingDirectory(spec, config);
  const warnings = [...programsSystemdMisses(processes, process.env), ...unitUserBarriers(processes, { cwdOf, probed, nodePath, cliPath })];
  for (const line of warnings) process.stderr.write(`subvisor: warning: ${shownAsText(line)}\n`);
  if (parsed.output === undefined) {
    process.stdout.write(files.map((exported) => `# ==> ${exported.name} <==\n${exported.text}`).join('\n'));
    return;
  }
  writing(unitDir, () => {
    refuseOpenDirectory(unitDir, config.file);
    makeDirectories(unitDir, OUTPUT_DIRECTORY_MODE);
    const open = refuseOpenDirectory(unitDir, config.file);
    for (const exported of files) write(join(unitDir, exported.name), exported, open);
  });
}

/**
 * `npx subvisor export systemd` runs subvisor from npm's cache (`~/.npm/_npx/HASH/...`), which
 * `npm cache clean` or a newer npx empties, and which the units' users may not be able to read:
 * probes written with that path would fail later, far from here.
 */
function warnOfPassingCli(cliPath: string, files: readonly ExportedFile[]): void {
  if (!cliPath.split(sep).includes('_npx') || !files.some((exported) => exported.text.includes(cliPath))) return;
  process.stderr.write(
    `subvisor: warning: the units' ready probes run subvisor from npm's npx cache (${shownAsText(cliPath)}), which npm may empty and other users may not read; install subvisor (npm install -g subvisor, or in the project) and export from there\n`,
  );
}

/**
 * `exported` at `path` with its mode, whether the file is new or not: `writeFileSync`'s `mode`
 * applies only to a file it creates, and an env file left 0644 by an earlier hand or tool would
 * keep showing the secrets of `.env` to everyone. The mode is set before the new text is written.
 * Without a mode, a new file is 0644 less the umask, and an existing one keeps its own; what is no
 * regular file (a device, a fifo) keeps its own in any case. `inOpenDirectory`: others may put names where `path` is, so a file is made for the text and
 * renamed over `path` (see ../export/new-file.ts), never opened through what is there.
 */
function write(path: string, exported: { readonly text: string; readonly mode: number | undefined }, inOpenDirectory: boolean): void {
  if (inOpenDirectory) {
    writeNewFile(path, exported.text, exported.mode);
    return;
  }
  const fd = node.fs.openSync(path, 'w', exported.mode ?? 0o644);
  try {
    // Only a file's: `-o /dev/null` or a fifo is written through, and root would otherwise take
    // /dev/null from every other user (0600).
    if (exported.mode !== undefined && node.fs.fstatSync(fd).isFile()) node.fs.fchmodSync(fd, exported.mode);
    // writeFileSync goes on after a short write, to the error behind it (a full disk, `ulimit -f`):
    // a single writeSync returns the part it wrote, and a cut unit file was written without a word.
    node.fs.writeFileSync(fd, exported.text);
  } finally {
    node.fs.closeSync(fd);
  }
}

/**
 * Throws when a user other than this one owns `dir` or may replace it (from a directory above): the
 * export (run as root, to write units) would put units and env files, with `.env`'s secrets, where
 * they lead (see ../others-may-write.ts). Checked before the directory is made, so a refusal makes
 * nothing, and after, for one another user made meanwhile (in /tmp). Returns whether others may put
 * names in `dir` itself (sticky `/tmp`, a group's): the files are then written as new ones.
 */
function refuseOpenDirectory(dir: string, configFile: string): boolean {
  const refusal = refusalOfOpenDirectory('the output directory', dir, { configFile, writesNewFiles: true });
  if (refusal !== undefined) throw new ExportError('ERR_EXPORT_UNSAFE_DIRECTORY', `${refusal}; pick an -o that only you (or root) may write, or make that directory so (chown, chmod go-w)`);
  return directoryOthersMayWrite(dir, { configFile }) !== undefined;
}

/** Runs `write`, turning a file system error into one line that names `target`. */
function writing(target: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    if (error instanceof ExportError) throw error;
    const code = errnoCode(error);
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way of a directory' : error instanceof Error ? error.message : String(error);
    throw new ExportError('ERR_EXPORT_WRITE', `cannot write ${target}: ${reason}; pick another -o`, { cause: error });
  }
}

/** To `-o FILE` (its directory created when missing), or to stdout. */
function exportComposeFile(config: Config, parsed: ExportArgs, plan: ExportPlanOptions): void {
  const output = parsed.output === undefined ? undefined : resolve(parsed.output);
  // `-o out/` means a directory, which resolve() would make a file named `out`.
  if (output !== undefined && (/\/$/.test(parsed.output ?? '') || statOf(output)?.isDirectory() === true)) {
    throw new ExportError('ERR_EXPORT_PATH', `-o ${parsed.output ?? ''} names a directory, and export compose writes one file; name the file, like -o ${join(parsed.output ?? '', 'compose.yaml')}`);
  }
  const exported = exportCompose(config, { image: parsed.image ?? DEFAULT_IMAGE, dropReadyLog: parsed.dropReadyLog, ...plan });
  if (output === undefined) {
    process.stdout.write(exported.text);
    return;
  }
  writing(output, () => {
    refuseOpenDirectory(dirname(output), config.file);
    makeDirectories(dirname(output), OUTPUT_DIRECTORY_MODE);
    const open = refuseOpenDirectory(dirname(output), config.file);
    write(output, exported, open);
  });
}
