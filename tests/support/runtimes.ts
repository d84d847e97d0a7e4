import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repositoryRoot } from './repository-root';

/** A Node binary to run the task under, as one of the task's execution handlers would. */
export interface NodeRuntime {
  /** 'node20' or 'node24', for test names. */
  readonly name: string;
  readonly major: number;
  readonly path: string;
  /** `node --version`, e.g. v20.19.0. */
  readonly version: string;
}

/**
 * Finds a Node 20 binary for the Node20_1 handler. npm scripts put
 * node_modules/.bin first on PATH, and there `node` is the npm package's Node 24,
 * so that directory is skipped; /usr/bin and /usr/local/bin are searched too.
 */
export function node20(searchPath: string = process.env.PATH ?? ''): NodeRuntime {
  const directories = [...searchPath.split(path.delimiter), '/usr/local/bin', '/usr/bin'].filter(
    (directory) => directory.length > 0 && !directory.split(path.sep).includes('node_modules'),
  );

  for (const directory of new Set(directories)) {
    const candidate = path.join(directory, 'node');
    const runtime = probe('node20', candidate);
    if (runtime?.major === 20) {
      return runtime;
    }
  }
  throw new Error(`No Node 20 binary found in ${[...new Set(directories)].join(', ')}. Install Node 20 (e.g. the Debian or NodeSource nodejs package) so that the Node20_1 handler can be tested.`);
}

/** Returns the Node 24 binary of the `node` npm package, for the Node24 handler. */
export function node24(): NodeRuntime {
  const candidate = path.join(repositoryRoot(), 'node_modules', 'node', 'bin', 'node');
  const runtime = probe('node24', candidate);
  if (runtime?.major !== 24) {
    throw new Error(`${candidate} is ${runtime ? runtime.version : 'missing'}, but Node 24 is required: run 'npm ci' to install the node@24 package.`);
  }
  return runtime;
}

/** Both runtimes the task declares handlers for; throws when either is missing. */
export function taskRuntimes(): NodeRuntime[] {
  return [node20(), node24()];
}

function probe(name: string, candidate: string): NodeRuntime | undefined {
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    const version = execFileSync(candidate, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
    return { name, major: Number.parseInt(version.replace(/^v/, ''), 10), path: candidate, version };
  } catch {
    return undefined;
  }
}
