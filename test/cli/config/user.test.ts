import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findUser, parseYamlConfig, parsePasswd } from '../../../src/cli/config/index.js';
import { firstProcess, problemAt, web } from './support.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment',
  '',
  'postgres:x:70:71:PostgreSQL administrator:/var/lib/postgresql:/bin/sh',
  'nohome:x:1001:1001:::/usr/sbin/nologin',
  '+nisuser::::::',
  'broken:x:abc:1:::',
  'postgres:x:999:999::/elsewhere:/bin/sh',
  'dos:x:1002:1002::/home/dos:/bin/sh\r',
  'noshell:x:1003:1003::/home/noshell:',
  '',
].join('\n');

test('passwd lines give name, uid, gid, home and shell; comments, NIS entries and broken lines are skipped', () => {
  assert.deepEqual(parsePasswd(PASSWD), [
    { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' },
    { name: 'postgres', uid: 70, gid: 71, home: '/var/lib/postgresql', shell: '/bin/sh' },
    { name: 'nohome', uid: 1001, gid: 1001, home: undefined, shell: '/usr/sbin/nologin' },
    { name: 'postgres', uid: 999, gid: 999, home: '/elsewhere', shell: '/bin/sh' },
    { name: 'dos', uid: 1002, gid: 1002, home: '/home/dos', shell: '/bin/sh' },
    { name: 'noshell', uid: 1003, gid: 1003, home: '/home/noshell', shell: undefined },
  ]);
});

test('a user is found by name or by uid (a number or a string of digits); the first entry wins', () => {
  const users = parsePasswd(PASSWD);
  assert.equal(findUser(users, 'postgres')?.uid, 70);
  assert.equal(findUser(users, 70)?.name, 'postgres');
  assert.equal(findUser(users, '1001')?.name, 'nohome');
  assert.equal(findUser(users, 'nobody'), undefined);
  assert.equal(findUser(users, 4242), undefined);
});

const dir = mkdtempSync(join(tmpdir(), 'subvisor-user-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const passwdFile = join(dir, 'passwd');
writeFileSync(passwdFile, PASSWD);
const groupFile = join(dir, 'group');
writeFileSync(groupFile, 'root:x:0:\npostgres:x:71:postgres\nssl-cert:x:103:www, postgres\nnopostgres:x:104:postgresql\n');
const asRoot = { env: {}, uid: 0, passwdFile, groupFile, setpriv: true };
const rootInWheel = join(dir, 'group-root-in-wheel');
writeFileSync(rootInWheel, 'root:x:0:\nwheel:x:10:root\n');
const BOUNDED = { timeout: 30_000 };
const asPostgres = { env: {}, uid: 70, passwdFile, groupFile };
const asSomeoneElse = { env: {}, uid: 1001, passwdFile, groupFile };

test('user: a name or a uid is resolved to name, uid, gid, home, shell and the groups that list it as a member', () => {
  const postgres = { name: 'postgres', uid: 70, gid: 71, home: '/var/lib/postgresql', shell: '/bin/sh', groups: [103] };
  assert.deepEqual(firstProcess(web('    user: postgres\n'), asRoot).user, postgres);
  assert.deepEqual(firstProcess(web('    user: 70\n'), asRoot).user, postgres);
  assert.deepEqual(firstProcess(web('    user: "70"\n'), asRoot).user, postgres);
  assert.deepEqual(firstProcess(web('    user: nohome\n'), asRoot).user, { name: 'nohome', uid: 1001, gid: 1001, home: undefined, shell: '/usr/sbin/nologin', groups: [] });
  assert.equal(firstProcess(web(), asRoot).user, undefined);
});

test('user: without setpriv, the groups are left out with a warning at the value; an export, which runs nothing here, is not warned', () => {
  const config = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, setpriv: false });
  assert.equal(config.processes[0]?.user?.groups, undefined);
  assert.deepEqual(config.warnings?.map((warning) => warning.message), ['postgres is a member of gid 103, which the process will not be given: setting supplementary groups needs setpriv, which is not installed; install util-linux']);
  const exported = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, setpriv: false, idMapFiles: null });
  assert.deepEqual(exported.processes[0]?.user?.groups, [103]);
  assert.deepEqual(exported.warnings ?? [], []);
  // Control: with setpriv, the groups are kept, and nothing is said.
  const kept = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, setpriv: true });
  assert.deepEqual(kept.processes[0]?.user?.groups, [103]);
  assert.deepEqual(kept.warnings ?? [], []);
});

test('user: a user in no group still has its groups set (none beside its gid, which initgroups(3) lists alone); where none can be set, nothing is said, as it lacks nothing its gid does not give', () => {
  const set = parseYamlConfig(web('    user: nohome\n'), 'subvisor.yaml', asRoot);
  assert.deepEqual(set.processes[0]?.user?.groups, []);
  assert.deepEqual(set.warnings ?? [], []);
  const unset = parseYamlConfig(web('    user: nohome\n'), 'subvisor.yaml', { ...asRoot, setpriv: false });
  assert.equal(unset.processes[0]?.user?.groups, undefined);
  assert.deepEqual(unset.warnings ?? [], []);
});

test('user: compose\'s user:group form is refused in words that give the form to write', () => {
  assert.match(problemAt(web('    user: postgres:ssl-cert\n'), 'postgres:ssl-cert', asRoot), /processes\.web\.user: user takes a user only, not compose's user:group \('postgres:ssl-cert'\); write `user: postgres`: the process gets that user's primary group and the groups \/etc\/group lists it in$/);
  assert.match(problemAt(web('    user: "70:71"\n'), '"70:71"', asRoot), /user takes a user only, not compose's user:group \('70:71'\); write `user: 70`/);
  // Control: the user alone is accepted.
  assert.equal(firstProcess(web('    user: postgres\n'), asRoot).user?.uid, 70);
});

test('user: an unknown user is refused at the value', () => {
  assert.match(problemAt(web('    user: postgress\n'), 'postgress', asRoot), new RegExp(`processes\\.web\\.user: unknown user 'postgress': it is not in ${passwdFile}; create the user, or name an existing one$`));
  assert.match(problemAt(web('    user: 4242\n'), '4242', asRoot), /processes\.web\.user: unknown user uid 4242: it is not in/);
  assert.match(problemAt(web('    user: [postgres]\n'), '[postgres]', asRoot), /user: expected a user name or a uid, found a list; e\.g\. `user: postgres`/);
  assert.match(problemAt(web('    user: -1\n'), '-1', asRoot), /user: expected a user name or a uid, found number -1/);
});

test('user: without root, only the user subvisor runs as is accepted', () => {
  // Control: the same config is fine as root, and as postgres itself.
  assert.equal(firstProcess(web('    user: postgres\n'), asRoot).user?.uid, 70);
  assert.equal(firstProcess(web('    user: postgres\n'), asPostgres).user?.uid, 70);
  const message = problemAt(web('    user: postgres\n'), 'postgres', asSomeoneElse);
  assert.match(
    message,
    /processes\.web\.user: postgres needs subvisor to run as root \(it runs as uid 1001, and only root can start a process as another user\); run subvisor as root, or remove `user` to run the process as yourself$/,
  );
});

test('user: as root of a user namespace, ids it does not map are refused at the value; an export does not look', () => {
  const idMapFiles = { uid: join(dir, 'uid_map'), gid: join(dir, 'gid_map') };
  writeFileSync(idMapFiles.uid, '         0          0       1000\n');
  writeFileSync(idMapFiles.gid, '         0     100000         71\n');
  assert.match(
    problemAt(web('    user: postgres\n'), 'postgres', { ...asRoot, idMapFiles }),
    /processes\.web\.user: postgres cannot be taken here: gid 71 is not mapped in this user namespace \(.*\); map it, run subvisor outside this namespace, or remove `user`$/,
  );
  // Control: ids inside the maps are taken; and with the maps not looked at (export), any.
  assert.equal(firstProcess(web('    user: postgres\n'), { ...asRoot, idMapFiles: { uid: idMapFiles.uid, gid: idMapFiles.uid } }).user?.uid, 70);
  assert.equal(firstProcess(web('    user: postgres\n'), { ...asRoot, idMapFiles: null }).user?.uid, 70);
});

test('user: as root of a user namespace, groups it cannot give (setgroups denied, as under unshare -r; gids it does not map) are left out with a warning at the value, not a failed spawn mid-run', () => {
  const uidMap = join(dir, 'wide_uid_map');
  const narrowGidMap = join(dir, 'narrow_gid_map');
  const denied = join(dir, 'setgroups_deny');
  const allowed = join(dir, 'setgroups_allow');
  writeFileSync(uidMap, '         0          0       1000\n');
  writeFileSync(narrowGidMap, '         0     100000        100\n');
  writeFileSync(denied, 'deny\n');
  writeFileSync(allowed, 'allow\n');
  const deniedRun = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, idMapFiles: { uid: uidMap, gid: uidMap, setgroups: denied } });
  const deniedUser = deniedRun.processes[0]?.user;
  assert.equal(deniedUser?.uid, 70);
  assert.equal(deniedUser.groups, undefined);
  assert.deepEqual(deniedRun.warnings?.map((warning) => warning.message), [`postgres is a member of gid 103, which the process will not be given: this user namespace denies setting groups (${denied} says deny, as unshare -r sets it); run subvisor outside this namespace to give them`]);
  const narrow = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, idMapFiles: { uid: uidMap, gid: narrowGidMap, setgroups: allowed } });
  assert.equal(narrow.processes[0]?.user?.groups, undefined);
  assert.deepEqual(narrow.warnings?.map((warning) => warning.message), [`postgres is a member of gid 103, which the process will not be given: gid 103 is not mapped in this user namespace (see ${narrowGidMap}); map it, or run subvisor outside this namespace`]);
  // Control: a namespace that allows setgroups and maps the gid gives it, and says nothing.
  const given = parseYamlConfig(web('    user: postgres\n'), 'subvisor.yaml', { ...asRoot, idMapFiles: { uid: uidMap, gid: uidMap, setgroups: allowed } });
  assert.deepEqual(given.processes[0]?.user?.groups, [103]);
  assert.deepEqual(given.warnings ?? [], []);
});

test('user: under a real unshare -r, a root that /etc/group lists as a member keeps running, without those groups (needs unshare)', BOUNDED, () => {
  const source = `import { parseYamlConfig } from './src/cli/config/index.ts';
    const config = parseYamlConfig('processes:\\n  web:\\n    cmd: id\\n    user: root\\n', 'subvisor.yaml', { env: {}, passwdFile: ${JSON.stringify(passwdFile)}, groupFile: ${JSON.stringify(rootInWheel)}, setpriv: true });
    console.log(JSON.stringify({ groups: config.processes[0]?.user?.groups ?? null, warnings: (config.warnings ?? []).map((warning) => warning.message) }));`;
  const run = spawnSync('unshare', ['-r', process.execPath, '--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const { groups, warnings } = JSON.parse(run.stdout) as { groups: number[] | null; warnings: string[] };
  assert.equal(groups, null);
  assert.deepEqual(warnings, ['root is a member of gid 10, which the process will not be given: this user namespace denies setting groups (/proc/self/setgroups says deny, as unshare -r sets it); run subvisor outside this namespace to give them']);
  // Control: outside the namespace (as root, with setpriv), the same config gives root its group.
  if (process.getuid?.() === 0) assert.deepEqual(firstProcess('processes:\n  web:\n    cmd: id\n    user: root\n', { ...asRoot, groupFile: rootInWheel }).user?.groups, [10]);
});

test('user: a passwd file that cannot be read is said, at the value', () => {
  const message = problemAt(web('    user: postgres\n'), 'postgres', { ...asRoot, passwdFile: join(dir, 'nope') });
  assert.match(message, /processes\.web\.user: cannot look the user up: cannot read .*nope \(no such file\); name a user of this system, or remove `user`$/);
});

test('user: the real /etc/passwd is read by default', () => {
  const root = firstProcess(web('    user: 0\n'), { env: {}, uid: 0 }).user;
  assert.equal(root?.uid, 0);
  assert.equal(root.gid, 0);
});
