import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NO_RESTART, loadConfig } from '../../../src/cli/config/index.js';
import { configError, lines } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'subvisor-spec9-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// SPEC.md §9's example, as written there.
const EXAMPLE = `envFile: [.env.local]             # top level: loaded after .env (which loads by default; envFile: false turns it off)
processes:
  initdb:
    cmd: initdb -D \${DATA_DIR:?set DATA_DIR}
    user: postgres                # run as this user (name or uid); only when subvisor runs as root
    task: true                    # expected to exit; exit 0 = succeeded; never restarted after success
  db:
    cmd: [postgres, -D, "\${DATA_DIR}", -k, "\${DATA_DIR}", -c, "listen_addresses="]
    user: postgres
    dependsOn: { initdb: succeeded }
    ready: { exec: "pg_isready -h \${DATA_DIR}", interval: 200ms, timeout: 2s, startPeriod: 0s }
    liveness: { exec: "pg_isready -h \${DATA_DIR}", interval: 5s, failures: 3 }
    stopSignal: SIGINT            # default SIGTERM
    grace: 10s
  migrate:
    cmd: psql -h \${DATA_DIR} -d postgres -f schema.sql
    user: postgres
    task: true
    dependsOn: [db]
  web:
    cmd: [node, web.js]
    envFile: web.env
    env: { PORT: "\${PORT:-8080}" }
    dependsOn: { db: ready, migrate: succeeded }   # a list means every entry is \`ready\`
    ready: { http: "http://127.0.0.1:\${PORT:-8080}/health", status: 200 }
    restart: { policy: always, max: 5, backoff: 200ms, maxBackoff: 10s, resetAfter: 30s }
`;
const file = join(dir, 'subvisor.yaml');
writeFileSync(file, EXAMPLE);
writeFileSync(join(dir, '.env'), 'DATA_DIR=/srv/pg\n');
writeFileSync(join(dir, '.env.local'), 'PORT=3000\n');
writeFileSync(join(dir, 'web.env'), 'SESSION_SECRET=hunter2-secret\n');
const passwdFile = join(dir, 'passwd');
writeFileSync(passwdFile, 'root:x:0:0:root:/root:/bin/bash\npostgres:x:70:70::/var/lib/postgresql:/bin/sh\n');

test('the example of SPEC §9 reads into the plan it describes', () => {
  const specs = Object.fromEntries(loadConfig(file, { env: {}, uid: 0, passwdFile, groupFile: join(dir, 'group'), setpriv: true }).processes.map((spec) => [spec.name, spec]));
  // In no group (the group file is missing): its list is set all the same, to its gid alone.
  const postgres = { name: 'postgres', uid: 70, gid: 70, home: '/var/lib/postgresql', shell: '/bin/sh', groups: [] };
  const shared = [join(dir, '.env'), join(dir, '.env.local')];
  const source = (line: number) => ({ file, line, column: 3 });
  assert.deepEqual(specs.initdb, {
    name: 'initdb',
    cmd: 'initdb -D /srv/pg',
    cmdParts: [['initdb -D ', { name: 'DATA_DIR', value: '/srv/pg' }]],
    cwd: dir,
    envFromFiles: { DATA_DIR: '/srv/pg', PORT: '3000' },
    envFiles: shared,
    envNames: ['DATA_DIR', 'PORT'],
    dependsOn: [],
    restart: NO_RESTART,
    task: true,
    main: false,
    user: postgres,
    source: source(3),
  });
  assert.deepEqual(specs.db, {
    name: 'db',
    cmd: ['postgres', '-D', '/srv/pg', '-k', '/srv/pg', '-c', 'listen_addresses='],
    cmdParts: [['postgres'], ['-D'], [{ name: 'DATA_DIR', value: '/srv/pg' }], ['-k'], [{ name: 'DATA_DIR', value: '/srv/pg' }], ['-c'], ['listen_addresses=']],
    cwd: dir,
    envFromFiles: { DATA_DIR: '/srv/pg', PORT: '3000' },
    envFiles: shared,
    envNames: ['DATA_DIR', 'PORT'],
    dependsOn: [{ name: 'initdb', condition: 'succeeded' }],
    ready: { kind: 'exec', cmd: 'pg_isready -h /srv/pg', cmdParts: [['pg_isready -h ', { name: 'DATA_DIR', value: '/srv/pg' }]], intervalMs: 200, timeoutMs: 2000, startPeriodMs: 0 },
    liveness: { kind: 'exec', cmd: 'pg_isready -h /srv/pg', cmdParts: [['pg_isready -h ', { name: 'DATA_DIR', value: '/srv/pg' }]], intervalMs: 5000, timeoutMs: 5000, startPeriodMs: 0, failures: 3 },
    restart: NO_RESTART,
    task: false,
    main: false,
    stopSignal: 'SIGINT',
    grace: 10_000,
    user: postgres,
    source: source(7),
  });
  assert.deepEqual(specs.migrate?.dependsOn, [{ name: 'db', condition: 'ready' }]);
  assert.equal(specs.migrate.cmd, 'psql -h /srv/pg -d postgres -f schema.sql');
  assert.deepEqual(specs.web, {
    name: 'web',
    cmd: ['node', 'web.js'],
    cwd: dir,
    env: { PORT: '3000' },
    envFromFiles: { DATA_DIR: '/srv/pg', PORT: '3000', SESSION_SECRET: 'hunter2-secret' },
    envFiles: [...shared, join(dir, 'web.env')],
    envNames: ['DATA_DIR', 'PORT', 'SESSION_SECRET'],
    dependsOn: [
      { name: 'db', condition: 'ready' },
      { name: 'migrate', condition: 'succeeded' },
    ],
    ready: { kind: 'http', url: 'http://127.0.0.1:3000/health', urlParts: ['http://127.0.0.1:', { name: 'PORT', value: '3000' }, '/health'], status: 200, intervalMs: 250, timeoutMs: 5000, startPeriodMs: 0 },
    restart: { policy: 'always', max: 5, backoffMs: 200, maxBackoffMs: 10_000, resetAfterMs: 30_000 },
    task: false,
    main: false,
    source: source(20),
  });
});

test('the example, run without root: every user: is refused before anything starts', () => {
  const error = configError(() => loadConfig(file, { env: {}, uid: 1000, passwdFile }));
  assert.deepEqual(
    lines(error).map((line) => line.slice(file.length)),
    [5, 9, 17].map((line) => `:${line}:11: processes.${{ 5: 'initdb', 9: 'db', 17: 'migrate' }[line]}.user: postgres needs subvisor to run as root (it runs as uid 1000, and only root can start a process as another user); run subvisor as root, or remove \`user\` to run the process as yourself`),
  );
});
