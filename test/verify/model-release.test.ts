/** verify --kernel: the model follows the mainline release of the guest's series, read from its boot snapshot. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { importMachine } from '../../src/io/import/index.js';
import { writeGuestDir } from '../../src/verify/view.js';
import { scratchDir } from '../helpers.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/verify/guest-after-online-movable.json', import.meta.url), 'utf8'),
) as { files: Record<string, string>; links: Record<string, string> };

/** The boot snapshot verify writes for a guest running `release`, and the release the model then runs. */
function modelRelease(release: string): string {
  const dir = join(scratchDir('verify-release'), release);
  writeGuestDir(
    dir,
    { files: new Map(Object.entries(fixture.files)), links: new Map(Object.entries(fixture.links)) },
    release,
  );
  return importMachine({ dir }).converted.geometry.kernel;
}

describe("verify's model release", () => {
  it('is the mainline series of the guest (6.1 and 6.12 guests run 6.1 and 6.12 rules, not 6.19)', () => {
    assert.equal(modelRelease('6.1.0-test'), '6.1');
    assert.equal(modelRelease('6.12.48+deb13-amd64'), '6.12');
  });

  it('is clamped to the releases modelled for a guest newer than 6.19', () => {
    assert.equal(modelRelease('7.2.1'), '6.19');
  });
});
