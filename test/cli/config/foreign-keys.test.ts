// A docker compose or process-compose file's keys, copied into subvisor.yaml: each one without a
// twin here is refused at the key with what to write instead, built from its value where it can be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { problemAt, web } from './support.js';

/** The message for `extra` (process keys under web) at `needle`, without its file:line:column. */
function answer(extra: string, needle: string): string {
  return problemAt(web(extra), needle).replace(/^[^ ]+ /, '');
}

test("a container's settings are refused with what a process here does instead", () => {
  assert.match(answer('    image: postgres:16\n', 'image'), /^processes\.web\.image: is docker compose's; subvisor runs commands on this machine, not images: give what the image runs as `cmd`/);
  assert.match(answer('    build: .\n', 'build'), /^processes\.web\.build: is docker compose's; subvisor builds no image: .*`task: true`.*`dependsOn: \{ build: succeeded \}`/);
  assert.match(answer('    ports: ["5432:5432"]\n', 'ports'), /^processes\.web\.ports: is docker compose's; a process here listens on this machine's ports itself/);
  assert.match(answer('    volumes: [./data:/data]\n', 'volumes'), /^processes\.web\.volumes: is docker compose's; a process here sees this machine's files/);
  for (const key of ['networks: [back]', 'container_name: pg', 'hostname: db', 'network_mode: host']) {
    const name = key.slice(0, key.indexOf(':'));
    assert.match(answer(`    ${key}\n`, name), new RegExp(`^processes\\.web\\.${name}: is docker compose's container setting, which has no meaning for a process on this machine; remove it$`));
  }
  for (const key of ['labels: [a=b]', 'platform: linux/amd64', 'pull_policy: always']) {
    const name = key.slice(0, key.indexOf(':'));
    assert.match(answer(`    ${key}\n`, name), /is docker compose's container setting, which has no meaning for a process on this machine; remove it$/);
  }
  assert.match(answer('    init: true\n', 'init'), /^processes\.web\.init: is docker compose's; subvisor passes the stop signal to the process's whole group already, so what it started stops with it; remove `init`$/);
  assert.match(answer('    tty: true\n', 'tty'), /^processes\.web\.tty: is docker compose's; a process here has no terminal and reads \/dev\/null \(its output is relayed line by line\); remove `tty`$/);
  assert.match(answer('    stdin_open: true\n', 'stdin_open'), /stdin_open: is docker compose's; a process here has no terminal and reads \/dev\/null/);
  assert.match(answer('    logging: { driver: json-file }\n', 'logging'), /logging: is docker compose's; subvisor relays each line of output, and writes it to DIR\/NAME\.log with `logs: \{ dir: DIR \}` at the top of the file; remove `logging`$/);
  // Written with no value, the same answer, not "has no value".
  assert.match(answer('    image:\n', 'image'), /is docker compose's; subvisor runs commands on this machine/);
});

test('entrypoint and deploy.replicas are answered with the keys they become, from their values', () => {
  assert.match(answer('    entrypoint: [node, --enable-source-maps]\n', 'entrypoint'), /entrypoint: .*write the entrypoint first in `cmd`, then the command's arguments: `cmd: \[node, --enable-source-maps, \.\.\.\]`$/);
  assert.match(answer('    entrypoint: /docker-entrypoint.sh\n', 'entrypoint'), /`cmd: \[\/docker-entrypoint\.sh, \.\.\.\]`$/);
  assert.match(answer('    deploy: { replicas: 2, resources: { limits: { cpus: "0.5" } } }\n', 'deploy'), /^processes\.web\.deploy: is docker compose's; write `replicas: 2` on the process itself/);
  assert.match(answer('    deploy: { resources: {} }\n', 'deploy'), /deploy: is docker compose's, for a container runtime; copies of a process are `replicas: N`; remove `deploy`$/);
});

test('profiles and disabled point to naming the processes on the command line', () => {
  assert.match(answer('    profiles: [dev]\n', 'profiles'), /profiles: is docker compose's; subvisor has no profiles: name the processes to run instead: `subvisor up NAME\.\.\.`/);
  assert.match(answer('    disabled: true\n', 'disabled'), /disabled: is process-compose's; name the processes to run instead: `subvisor up NAME\.\.\.`/);
});

test("process-compose's availability becomes restart (with its bounds, backoff in seconds) and main", () => {
  assert.match(answer('    availability: { restart: on_failure, max_restarts: 3, backoff_seconds: 2 }\n', 'availability'), /availability: is process-compose's; write `restart: \{ policy: on-failure, max: 3, backoff: 2s \}` instead$/);
  assert.match(answer('    availability: { restart: always, exit_on_end: true }\n', 'availability'), /write `restart: \{ policy: always \}` and `main: true` instead$/);
  assert.match(answer('    availability: { restart: "no" }\n', 'availability'), /write `restart: no` instead$/);
  // process-compose's max_restarts: 0 is no bound, which `max: 0` is not (it is refused here).
  assert.match(answer('    availability: { restart: always, max_restarts: 0 }\n', 'availability'), /write `restart: \{ policy: always \}` instead \(its max_restarts: 0 is no bound; here `max` bounds the restarts in a row, 3 by default, counted again once the process stays up for `resetAfter`\)$/);
  // exit_on_failure is up's fail-fast: nothing to write for it, and never on-failure (its opposite).
  const failFast = answer('    availability: { restart: exit_on_failure }\n', 'availability');
  assert.match(failFast, /write `restart` instead, e\.g\. .*\(its exit_on_failure is what up does already: an unexpected failure ends the run\)$/);
});

test("process-compose's shutdown becomes stopSignal (a number by this system's name) and grace in seconds", () => {
  assert.match(answer('    shutdown: { signal: 2, timeout_seconds: 10 }\n', 'shutdown'), /shutdown: is process-compose's; write `stopSignal: SIGINT` and `grace: 10s` instead$/);
  assert.match(answer('    shutdown: { command: "pg_ctl stop" }\n', 'shutdown'), /write `stopSignal` and `grace` instead, .*; a stop command has no key here: the stop signal is sent to the process group, so make the process stop on it$/);
});

test("process-compose's is_daemon: false is removed; true asks for the foreground", () => {
  assert.match(answer('    is_daemon: false\n', 'is_daemon'), /is_daemon: is process-compose's, and `false` is the only way here; remove it$/);
  assert.match(answer('    is_daemon: true\n', 'is_daemon'), /is_daemon: is process-compose's; subvisor supervises a process in the foreground .*start it in the foreground/);
});

test("compose's and process-compose's top-level keys say what to write, or to remove them", () => {
  const top = (key: string): string => problemAt(`${key}\nprocesses:\n  web: { cmd: x }\n`, key.slice(0, key.indexOf(':')));
  assert.match(top('version: "3.8"'), /version: is docker compose's \(obsolete there too\) or process-compose's file version; subvisor\.yaml has none: remove it$/);
  assert.match(top('name: shop'), /name: is docker compose's project name/);
  assert.match(top('environment: [A=1]'), /environment: is process-compose's variables for every process; write them in \.env beside the config/);
  assert.match(top('log_location: /tmp/pc.log'), /log_location: .*`logs: \{ dir: DIR \}`$/);
  assert.match(top('log_level: debug'), /log_level: is process-compose's own log level; subvisor\.yaml has none: remove it$/);
  assert.match(top('volumes: { data: {} }'), /volumes: is docker compose's declaration for containers/);
});

test('the refused keys are left out of the known keys and of guesses; the control: known keys are listed as before', () => {
  const unknown = answer('    imagee: x\n', 'imagee');
  assert.match(unknown, /^processes\.web\.imagee: unknown key \(known keys here: cmd, cwd, env, envFile, ready, readyTimeout, liveness, dependsOn, task, restart, main, stopSignal, grace, user, replicas, watch\)$/);
  assert.doesNotMatch(answer('    ports: [80]\n', 'ports'), /known keys/);
});
