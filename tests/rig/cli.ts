import * as fs from 'node:fs';
import { readStateFile, startServices, stopServices, writeStateFile } from './services';

const USAGE = 'Usage: node scripts/ts-run.js tests/rig/cli.ts start STATEFILE | stop STATEFILE';

/**
 * Starts or stops the test engine and registry for CI. `start` leaves both
 * running after it exits and records them in STATEFILE; `stop` stops the
 * processes named there by PID and removes their directories and the file.
 */
async function main(args: string[]): Promise<void> {
  const [command, stateFile] = args;
  if (!stateFile || (command !== 'start' && command !== 'stop')) {
    throw new Error(USAGE);
  }

  if (command === 'start') {
    if (fs.existsSync(stateFile)) {
      throw new Error(`State file ${stateFile} already exists: stop those services first with 'stop ${stateFile}'.`);
    }
    const state = await startServices();
    writeStateFile(stateFile, state);
    console.log(`Started dockerd (PID ${state.engine.pid}) on ${state.dockerHost} and the registry (PID ${state.registry.pid}) on ${state.registry.url}; state in ${stateFile}`);
    return;
  }

  const state = readStateFile(stateFile);
  await stopServices(state);
  fs.rmSync(stateFile, { force: true });
  console.log(`Stopped dockerd (PID ${state.engine.pid}) and the registry (PID ${state.registry.pid})`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
