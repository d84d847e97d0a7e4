import { SERVICE_ENVIRONMENT } from './services';

/** The services an end-to-end test runs against, as the global setup handed them over. */
export interface TestServices {
  readonly dockerHost: string;
  readonly registryUrl: string;
  readonly registryHost: string;
  readonly registryPassword: string;
}

/**
 * Reads the services from the environment that the Jest global setup prepared.
 * Throws when they are missing instead of letting a test skip silently.
 */
export function testServices(env: NodeJS.ProcessEnv = process.env): TestServices {
  const dockerHost = env[SERVICE_ENVIRONMENT.dockerHost];
  const registryUrl = env[SERVICE_ENVIRONMENT.registryUrl];
  const registryPassword = env[SERVICE_ENVIRONMENT.registryPassword];

  if (!dockerHost || !registryUrl || !registryPassword) {
    throw new Error(
      `Test services are not set up: ${SERVICE_ENVIRONMENT.dockerHost}, ${SERVICE_ENVIRONMENT.registryUrl} and ` +
        `${SERVICE_ENVIRONMENT.registryPassword} must be set. Run end-to-end tests through jest.config.js (its global setup starts the services), ` +
        `or point ${SERVICE_ENVIRONMENT.stateFile} at a state file written by 'tests/rig/cli.ts start'.`,
    );
  }

  return { dockerHost, registryUrl, registryHost: new URL(registryUrl).host, registryPassword };
}
