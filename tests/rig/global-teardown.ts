import { stopServices } from './services';

/** Stops the services that the global setup started; leaves those from a state file running. */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__ecrTestServices?.state;
  globalThis.__ecrTestServices = undefined;

  if (state) {
    await stopServices(state);
  }
}
