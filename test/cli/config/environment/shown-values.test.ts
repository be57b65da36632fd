import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { valuesShown } from '../../../../src/cli/config/environment/shown-values.js';
import type { InterpolatedPart } from '../../../../src/cli/config/environment/interpolate.js';

const cwdParts: InterpolatedPart[] = ['/srv/', { name: 'S', value: 'a1b2/c3d4' }, '/sub'];
const named = { named: [['/srv/a1b2/c3d4/sub', '/srv/${S}/sub']] as const };

describe('valuesShown: one rule for whether a text still shows a variable’s value', () => {
  test('the whole of what a variable made is named as written, and then shows no value (the control)', () => {
    assert.deepEqual(valuesShown('the cwd /srv/a1b2/c3d4/sub does not exist', cwdParts, named), { text: 'the cwd /srv/${S}/sub does not exist', showsValue: false });
  });

  test('a directory the value leads through, named alone (a closed one on the way), shows it', () => {
    const said = 'may not enter the cwd /srv/a1b2/c3d4/sub: /srv/a1b2 is drwx------';
    assert.equal(valuesShown(said, cwdParts, named).showsValue, true);
  });

  test("a value that is also a piece of the config's own words shows nothing there: the written form (S=srv in /srv/${S}) and the command's words, whole", () => {
    const parts: InterpolatedPart[] = ['/srv/', { name: 'S', value: 'srv' }];
    assert.equal(valuesShown('the cwd /srv/srv does not exist', parts, { named: [['/srv/srv', '/srv/${S}']] }).showsValue, false);
    const api: InterpolatedPart[] = ['/p/', { name: 'SERVICE', value: 'api' }];
    assert.equal(valuesShown('no such file: ./run-api.sh', api, { configWords: ['./run-api.sh'] }).showsValue, false);
    // Only as a whole word: `run` of the command does not spare `/srv/run`, a directory the value names.
    assert.equal(valuesShown('/srv/run is drwx------', ['/srv/', { name: 'S', value: 'run' }], { configWords: ['run'] }).showsValue, true);
    // An argument as big as Linux takes (128 KiB) is a word like another (it is too large for a RegExp).
    const big = 'x'.repeat(128 * 1024);
    assert.equal(valuesShown(`argv[1] is ${big}`, [{ name: 'B', value: 'xx' }], { configWords: [big] }).showsValue, false);
  });

  test('a name is replaced where the text names it whole, not inside a word or a longer name; the longest first', () => {
    const parts: InterpolatedPart[] = [{ name: 'H', value: 'e' }, ':5432'];
    assert.equal(valuesShown('timed out; getaddrinfo ENOTFOUND e', parts, { named: [['e', '${H}']] }).text, 'timed out; getaddrinfo ENOTFOUND ${H}');
    const target = valuesShown('connect ECONNREFUSED e:5432', parts, { named: [['e', '${H}'], ['e:5432', '${H}:5432']] });
    assert.equal(target.text, 'connect ECONNREFUSED ${H}:5432');
  });

  test('a path value is not taken as shown by a later piece of it: app of /home/me/app under ${APP_DIR}/app/src', () => {
    const parts: InterpolatedPart[] = [{ name: 'APP_DIR', value: '/home/me/app' }];
    const said = valuesShown("cannot watch /home/me/app/app/src: EACCES: permission denied, watch '/home/me/app/app/src'", parts, { named: [['/home/me/app/app/src', '${APP_DIR}/app/src']] });
    assert.deepEqual(said, { text: "cannot watch ${APP_DIR}/app/src: EACCES: permission denied, watch '${APP_DIR}/app/src'", showsValue: false });
  });
});
