// The glob matcher of `watch.ignore` and the rule built on it (SPEC §10): pure functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { globMatcher } from '../../../src/cli/watch/glob.js';
import { ignoreRule } from '../../../src/cli/watch/ignore.js';

describe('globMatcher', () => {
  const cases: [glob: string, path: string, matches: boolean][] = [
    ['*.log', 'app.log', true],
    ['*.log', '.hidden.log', true],
    ['*.log', 'logs/app.log', false],
    ['*.log', 'app.log.gz', false],
    ['**/*.test.ts', 'app.test.ts', true],
    ['**/*.test.ts', 'src/deep/app.test.ts', true],
    ['**/*.test.ts', 'src/app.ts', false],
    ['src/**', 'src', true],
    ['src/**', 'src/a/b.ts', true],
    ['src/**', 'srcx/a.ts', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/x/y/c', false],
    ['a/**/**/b', 'a/b', true],
    ['**', 'any/thing/at/all', true],
    ['?.ts', 'a.ts', true],
    ['?.ts', 'ab.ts', false],
    ['?', '/', false],
    ['[ab].ts', 'b.ts', true],
    ['[ab].ts', 'c.ts', false],
    ['[!ab].ts', 'c.ts', true],
    ['[!ab].ts', 'a.ts', false],
    ['[a-c]x', 'bx', true],
    ['*.{js,map}', 'app.js', true],
    ['*.{js,map}', 'app.map', true],
    ['*.{js,map}', 'app.ts', false],
    ['\\*.ts', '*.ts', true],
    ['\\*.ts', 'a.ts', false],
    ['a[b', 'a[b', true], // unclosed: itself
    ['a{b', 'a{b', true],
    ['(x).ts', '(x).ts', true], // RegExp characters are themselves
    ['x.ts', 'xxts', false],
  ];
  for (const [glob, path, matches] of cases) {
    test(`${glob} ${matches ? 'matches' : 'does not match'} ${path}`, () => assert.equal(globMatcher(glob)(path), matches));
  }

  test('text without glob characters matches itself and nothing else', () => {
    const plain = fc.stringMatching(/^[A-Za-z0-9._/()+$^-]{1,20}$/);
    fc.assert(
      fc.property(plain, plain, (glob, other) => {
        assert.equal(globMatcher(glob)(glob), true);
        assert.equal(globMatcher(glob)(other), glob === other);
      }),
    );
  });

  test('* and ? never match across a /', () => {
    const segment = fc.stringMatching(/^[a-z]{1,5}$/);
    fc.assert(fc.property(segment, segment, (a, b) => !globMatcher('*')(`${a}/${b}`) && !globMatcher('*?*')(`${a}/${b}`)));
  });
});

describe('ignoreRule', () => {
  const cwd = '/p';
  const root = '/p/src';

  test('node_modules, .git (and .hg, .svn, __pycache__) are left out at any depth under the watched root, without being asked', () => {
    const ignored = ignoreRule([], cwd);
    assert.equal(ignored('/p/src/node_modules/x/index.js', root), true);
    assert.equal(ignored('/p/src/lib/.git/HEAD', root), true);
    assert.equal(ignored('/p/src/node_modules', root), true);
    for (const dir of ['.hg', '.svn', '__pycache__']) assert.equal(ignored(`/p/src/lib/${dir}/x`, root), true, dir);
    // Control: an ordinary file, and names that only look alike, count.
    assert.equal(ignored('/p/src/app.ts', root), false);
    assert.equal(ignored('/p/src/my_node_modules/app.ts', root), false);
    // A root inside node_modules was asked for by name: what is under it counts.
    assert.equal(ignored('/p/node_modules/pkg/index.js', '/p/node_modules/pkg'), false);
  });

  test("editors' own files are left out at any depth without being asked; the files they edit, and names alike, are not", () => {
    const ignored = ignoreRule([], cwd);
    for (const name of ['.app.ts.swp', '.app.ts.swo', '..env.swp', '.app.ts.swx', '4913', 'app.ts~', '.#app.ts', '#app.ts#', 'app.ts___jb_tmp___', 'app.ts___jb_old___', '.app.ts.kate-swp']) {
      assert.equal(ignored(`/p/src/deep/${name}`, root), true, name);
    }
    for (const name of ['app.ts', '.env', 'app.swp.ts', '49130', 'issue#4.md', 'a~b']) assert.equal(ignored(`/p/src/deep/${name}`, root), false, name);
  });

  test('a glob without / is matched against the name, at any depth', () => {
    const ignored = ignoreRule(['*.log', 'tmp'], cwd);
    assert.equal(ignored('/p/src/deep/er/app.log', root), true);
    assert.equal(ignored('/p/src/a/tmp', root), true);
    assert.equal(ignored('/p/src/a/tmp.ts', root), false);
  });

  test('a glob with / is matched relative to the watched root and relative to the cwd', () => {
    const ignored = ignoreRule(['gen/**', 'src/vendor/**', '**/*.test.ts'], cwd);
    assert.equal(ignored('/p/src/gen/types.ts', root), true, 'relative to the root');
    assert.equal(ignored('/p/src/vendor/lib.js', root), true, 'relative to the cwd');
    assert.equal(ignored('/p/src/a/b.test.ts', root), true);
    assert.equal(ignored('/p/src/a/b.ts', root), false);
  });

  test("the run's own files are left out, rotated ones too; a directory of its own that holds the watched root (logs: { dir: . }, watching src, or the root itself) is not left out whole, or nothing would ever be heard", () => {
    const ignored = ignoreRule([], cwd, ['/p', '/p/web.log', '/p/.subvisor/control.sock']);
    assert.equal(ignored('/p/web.log', '/p'), true);
    assert.equal(ignored('/p/web.log.2', '/p'), true, 'rotated');
    assert.equal(ignored('/p/.subvisor/control.sock', '/p'), true);
    assert.equal(ignored('/p/src/app.ts', root), false, 'under a watched root inside the log directory');
    assert.equal(ignored('/p/src/app.ts', '/p'), false, 'under a watched root that is the log directory');
    // Control: a log directory beside the watched root is left out whole.
    const beside = ignoreRule([], cwd, ['/p/src/lg', '/p/src/lg/web.log']);
    assert.equal(beside('/p/src/lg/other.txt', root), true);
    assert.equal(beside('/p/src/app.ts', root), false);
  });

  test('a glob that starts with / is matched against the absolute path', () => {
    const ignored = ignoreRule(['/p/src/cache/**'], cwd);
    assert.equal(ignored('/p/src/cache/x', root), true);
    assert.equal(ignored('/p/src/x', root), false);
  });
});
