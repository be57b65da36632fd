import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpawnError } from '../../../src/process/errors.js';
import { spawnErrorAsWritten } from '../../../src/cli/stack/spawn-words.js';

describe('spawnErrorAsWritten: a cwd a variable made', () => {
  // The library names the directory on the way that is closed to the child's user: a piece of the cwd, which replacing the whole cwd leaves.
  const closed = (value: string): SpawnError => {
    const cwd = `/srv/${value}/sub`;
    return new SpawnError(['run'], `permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: /srv/${value} is drwx------, uid 0's; grant it search (x) permission there`, { code: 'EACCES', cwd, cwdUnusable: true });
  };

  test('a closed directory on the way that would show the value is not detailed, whatever the value: one with a blank, a leading blank, or one that is also a word of the command', () => {
    for (const value of ['s3cr3t', 's3cr3t x', ' s3', 'run']) {
      const { reason } = spawnErrorAsWritten(closed(value), { cmd: ['run'] }, ['/srv/', { name: 'S', value }, '/sub']);
      assert.equal(reason, 'its cwd, /srv/${S}/sub, could not be used (EACCES); the details would show the value of the variable it holds, so they are not shown: check that value', JSON.stringify(value));
    }
  });

  test('a value that is a path (a1b2/c3d4) is hidden where the library names a directory it leads through (/srv/a1b2, closed): that shows a piece of it', () => {
    const cwd = '/srv/a1b2/c3d4/sub';
    const error = new SpawnError(['run'], `permission denied (EACCES): uid 65534 may not enter the cwd ${cwd}: /srv/a1b2 is drwx------, uid 0's; grant it search (x) permission there`, { code: 'EACCES', cwd, cwdUnusable: true });
    const { reason } = spawnErrorAsWritten(error, { cmd: ['run'] }, ['/srv/', { name: 'S', value: 'a1b2/c3d4' }, '/sub']);
    assert.doesNotMatch(reason, /a1b2/);
    assert.equal(reason, 'its cwd, /srv/${S}/sub, could not be used (EACCES); the details would show the value of the variable it holds, so they are not shown: check that value');
  });

  test('a reason that shows only the cwd is kept, with the cwd named as written (the control: nothing is hidden that need not be)', () => {
    const error = new SpawnError(['run'], 'the cwd /srv/s3cr3t/sub does not exist', { code: 'ENOENT', cwd: '/srv/s3cr3t/sub', cwdUnusable: true });
    assert.equal(spawnErrorAsWritten(error, { cmd: ['run'] }, ['/srv/', { name: 'S', value: 's3cr3t' }, '/sub']).reason, 'the cwd /srv/${S}/sub does not exist');
  });
});
