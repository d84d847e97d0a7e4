import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Returns the repository root: the nearest directory above this file with a
 * package.json and a tests folder. Walking up works both from the source tree
 * (Jest) and from a bundle under node_modules/.cache (scripts/ts-run.js).
 */
export function repositoryRoot(start: string = __dirname): string {
  let directory = start;
  for (;;) {
    if (fs.existsSync(path.join(directory, 'package.json')) && fs.existsSync(path.join(directory, 'tests'))) {
      return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) {
      throw new Error(`No repository root (a directory with package.json and tests/) above ${start}`);
    }
    directory = parent;
  }
}
