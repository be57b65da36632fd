// Whether dist/index.js is the build of the current src/. Tests and the bench that exercise the
// built package (what users import) check it, so that an edit not yet built is never measured or
// tested as if it were.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when `root`/dist/index.js exists and is not older than any file under `root`/src. */
export function isBuildFresh(root: string): boolean {
  let built: number;
  try {
    built = statSync(join(root, 'dist/index.js')).mtimeMs;
  } catch {
    return false;
  }
  return built >= newestMtimeMs(join(root, 'src'));
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
