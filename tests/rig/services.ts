import * as fs from 'node:fs';
import { type EngineState, startEngine, stopEngine } from './engine';
import { type RegistryState, startRegistry, stopRegistry } from './registry';

/** The engine and registry the end-to-end tests run against, as written to a state file. */
export interface ServiceState {
  readonly dockerHost: string;
  readonly engine: EngineState;
  readonly registry: RegistryState;
}

/** Names of the environment variables that hand the services to Jest workers. */
export const SERVICE_ENVIRONMENT = {
  stateFile: 'ECR_TEST_SERVICES',
  dockerHost: 'ECR_TEST_DOCKER_HOST',
  registryUrl: 'ECR_TEST_REGISTRY_URL',
  registryPassword: 'ECR_TEST_REGISTRY_PASSWORD',
} as const;

/** Starts an engine and a registry; stops the engine again when the registry fails. */
export async function startServices(): Promise<ServiceState> {
  const engine = await startEngine();

  try {
    const registry = await startRegistry();
    return {
      dockerHost: engine.dockerHost,
      engine: { dockerHost: engine.dockerHost, pid: engine.pid, dir: engine.dir },
      registry: { url: registry.url, host: registry.host, password: registry.password, pid: registry.pid, dir: registry.dir },
    };
  } catch (error) {
    await engine.stop();
    throw error;
  }
}

/** Stops both services by PID, the registry first; an error in one does not keep the other running. */
export async function stopServices(state: ServiceState): Promise<void> {
  const results = await Promise.allSettled([stopRegistry(state.registry), stopEngine(state.engine)]);
  const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');

  if (failures.length > 0) {
    throw new Error(`Stopping the test services failed: ${failures.map((failure) => String(failure.reason)).join('; ')}`);
  }
}

/** Writes the state file readable by its owner only, because it contains the registry password. */
export function writeStateFile(file: string, state: ServiceState): void {
  fs.writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function readStateFile(file: string): ServiceState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the test services state file ${file}: ${(error as Error).message}. Start the services with 'node scripts/ts-run.js tests/rig/cli.ts start ${file}'.`);
  }

  const state = JSON.parse(text) as ServiceState;
  if (!state.dockerHost || !state.engine?.pid || !state.registry?.url || !state.registry?.password) {
    throw new Error(`The test services state file ${file} is incomplete: it needs dockerHost, engine and registry.`);
  }
  return state;
}

/** Sets the environment variables through which test workers find the services. */
export function exportServiceEnvironment(state: ServiceState, env: NodeJS.ProcessEnv = process.env): void {
  env[SERVICE_ENVIRONMENT.dockerHost] = state.dockerHost;
  env[SERVICE_ENVIRONMENT.registryUrl] = state.registry.url;
  env[SERVICE_ENVIRONMENT.registryPassword] = state.registry.password;
}
