import { readStateFile, SERVICE_ENVIRONMENT, startServices, type ServiceState, exportServiceEnvironment } from './services';

/** Services this Jest run started itself, which the global teardown must stop. */
export interface OwnedServices {
  state?: ServiceState;
}

declare global {
  // Jest runs the global setup and teardown in one process and shares globalThis between them.
  var __ecrTestServices: OwnedServices | undefined;
}

/**
 * Provides the engine and registry to the end-to-end tests: the ones named in
 * the state file of ECR_TEST_SERVICES when set, else fresh ones that the
 * global teardown stops. A failure to start them fails the run.
 */
export default async function globalSetup(): Promise<void> {
  const stateFile = process.env[SERVICE_ENVIRONMENT.stateFile];

  if (stateFile) {
    exportServiceEnvironment(readStateFile(stateFile));
    globalThis.__ecrTestServices = {};
    return;
  }

  const state = await startServices();
  globalThis.__ecrTestServices = { state };
  exportServiceEnvironment(state);
}
